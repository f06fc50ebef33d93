"""Labelled training and evaluation sets: a folder of class subfolders, or a CSV of path,label[,group,...]."""

from __future__ import annotations

import csv
import logging
import os
from collections import Counter
from dataclasses import dataclass

from .audio import AUDIO_EXTENSIONS
from .classify import iter_audio_files
from .errors import UsageError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    path: str
    label: str
    group: str
    source: str = ""
    licence: str = ""


@dataclass
class Dataset:
    items: list[Item]
    #: how the groups were made, for reports ("pack folder at level 1 below each class folder", "CSV column")
    grouping: str

    @property
    def packs(self) -> dict[str, str]:
        """{path: pack} of the files that have a pack (a group other than the file itself)."""
        return {i.path: i.group for i in self.items if i.group != i.path}

    @property
    def classes(self) -> tuple[str, ...]:
        from .classes import CLASSES

        found = {i.label for i in self.items}
        known = [c for c in CLASSES if c in found]
        return tuple(known + sorted(found - set(known)))

    def counts(self) -> Counter:
        return Counter(i.label for i in self.items)


def _read_csv(path: str) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            rows, header = list(reader), reader.fieldnames
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UsageError(f"{path}: not a UTF-8 CSV file ({exc})") from None
    if not rows:
        what = "no rows below the header" if header else "empty"
        raise UsageError(f"{path}: {what} (a CSV with a header row, at least a `path` column, and a row per file "
                         "is needed)")
    if "path" not in rows[0]:
        raise UsageError(f"{path}: a CSV with a header row and at least a `path` column is needed")
    return rows


def _group_map(groups_csv: str) -> dict[str, str]:
    """{real path: group} from a CSV of path,group (relative paths: to the CSV's folder). A group is read as the
    dataset CSV's group column is: without surrounding spaces (" A" and "A" are one pack), and an empty cell is
    "" (the file is its own group, see ``_grouped``)."""
    mapping = {}
    base = os.path.dirname(os.path.abspath(groups_csv))
    for n, r in enumerate(_read_csv(groups_csv), start=2):
        if "group" not in r:
            raise UsageError(f"{groups_csv}: the CSV needs `path` and `group` columns")
        if not (r.get("path") or "").strip():
            raise UsageError(f"{groups_csv}: line {n}: empty path")
        mapping[os.path.realpath(os.path.join(base, r["path"]))] = (r.get("group") or "").strip()
    return mapping


def _grouped(p: str, mapping: dict[str, str], groups_csv: str) -> str:
    """``p``'s group from ``--groups``: a file listed with an empty group is its own group, as in a dataset CSV
    (not one pack of every such file); a file not listed is an error."""
    real = os.path.realpath(p)
    group = mapping.get(real)
    if group is None:
        raise UsageError(f"{groups_csv}: no row for {p}" + (f" (that is {real})" if real != p else "") +
                         "; its paths are relative to its own folder")
    return group or p


def _warn_ungrouped(n: int, where: str) -> None:
    log.warning("%d files %s: each is its own group, so cross-validation is a random split for them and will "
                "look better than it is", n, where)


def from_csv(path: str, *, groups_csv: str | None = None, packs: bool = True) -> Dataset:
    """Rows ``path,label[,group][,source][,licence]``; relative paths are relative to the CSV's folder.
    ``groups_csv`` (columns path,group) replaces the group column. A file listed twice is used once; under two
    labels it is an error. ``packs``: whether groups matter here (training), so their absence is warned about."""
    rows = _read_csv(path)
    if "label" not in rows[0]:
        raise UsageError(f"{path}: the CSV needs a `label` column")
    base = os.path.dirname(os.path.abspath(path))
    mapping = _group_map(groups_csv) if groups_csv else {}
    items, first_line = [], {}
    labels_seen: dict[str, None] = {}
    for n, r in enumerate(rows, start=2):
        if not r.get("path") or not r.get("label"):
            raise UsageError(f"{path}: line {n}: empty path or label")
        p = r["path"] if os.path.isabs(r["path"]) else os.path.join(base, r["path"])
        label = r["label"].strip()
        real = os.path.realpath(p)
        if real in first_line:
            line, other = first_line[real]
            if other != label:
                raise UsageError(f"{path}: line {n}: {r['path']} is labelled {label}, but {other} on line {line}; "
                                 "a file can have one label only")
            log.warning("%s: line %d lists %s again (as on line %d); it is used once", path, n, r["path"], line)
            continue
        first_line[real] = (n, label)
        labels_seen.setdefault(label, None)
        group = _grouped(p, mapping, groups_csv) if groups_csv else (r.get("group") or "").strip() or p
        items.append(Item(p, label, group, r.get("source") or "", r.get("licence") or ""))
    check_class_names(labels_seen, path)
    _warn_alike(labels_seen, path, "labels")
    if groups_csv:
        grouping = f"groups from {groups_csv}"
    elif "group" in rows[0]:
        grouping = "the CSV's group column"
    else:
        grouping = "none (each file its own group)"
        if packs:
            _warn_ungrouped(len(items), "have no group (the CSV has no group column, and no --groups was given)")
    return Dataset(items, grouping)


#: a class with fewer files than this, or all in one pack, gets a warning: grouped CV can hardly score it
FEW_FILES = 5


def _class_folders(folder: str) -> list[str]:
    """The class subfolders of ``folder`` that hold audio; warns about the ones that hold none, about audio files
    lying directly in ``folder`` (in no class) and about names that look like one class spelled two ways."""
    names = sorted(d for d in os.listdir(folder) if not d.startswith(".") and os.path.isdir(os.path.join(folder, d)))
    classes = []
    for d in names:
        if next(iter_audio_files([os.path.join(folder, d)]), None) is None:
            log.warning("%s: the class folder %s has no audio files; it is not a class", folder, d)
        else:
            classes.append(d)
    loose = [n for n in sorted(os.listdir(folder)) if os.path.isfile(os.path.join(folder, n))
             and not n.startswith(".") and os.path.splitext(n)[1].lower() in AUDIO_EXTENSIONS]
    if loose:
        log.warning("%s: %d audio files (%s%s) lie directly in it, in no class folder; they are left out", folder,
                    len(loose), ", ".join(loose[:3]), ", ..." if len(loose) > 3 else "")
    _warn_alike(classes, folder, "class folders")
    return classes


def _warn_alike(classes, where: str, what: str) -> None:
    """Warn about class names that look like one class spelled two ways (``Kick``/``kicks``): they stay apart."""
    alike: dict[str, list[str]] = {}
    for c in classes:
        key = c.casefold()
        alike.setdefault(key[:-1] if key.endswith("s") and len(key) > 3 else key, []).append(c)
    for spellings in alike.values():
        if len(spellings) > 1:
            log.warning("%s: the %s %s look like one class; they count as %d classes (rename them to one name to "
                        "merge them)", where, what, " and ".join(spellings), len(spellings))


def check_class_names(classes, where: str) -> None:
    """UsageError for a class name that cannot be a folder name in ``organize``'s OUT (``..``, a path separator)
    or a DAW clip name's field (``|`` separates the name drumtag gives a clip from the clip's own)."""
    for c in classes:
        if c in (".", "..") or any(ch in c for ch in "/\\|") or not c.isprintable():
            raise UsageError(f"{where}: the class name {c!r} cannot be used: a class becomes a folder name and a "
                             "part of clip names, so it may not be . or .. nor hold /, \\, | or control characters")


def from_folder(folder: str, *, group_level: int = 1, groups_csv: str | None = None, packs: bool = True) -> Dataset:
    """``folder/<class>/.../file``: the class is the first subfolder; the group (pack) is the path of the
    ``group_level`` folders below the class folder (``kit`` or ``vendor/kit``; compared ignoring case, so
    ``kick/808 Kit`` and ``snare/808 kit`` are one pack), or comes from ``groups_csv`` (columns path,group).

    A file reached twice (through links) is used once; one reached from two class folders has no clear label
    and is left out, with a warning.
    """
    if not os.path.isdir(folder):
        raise UsageError(f"{folder}: not a folder")
    classes = _class_folders(folder)
    check_class_names(classes, folder)
    if len(classes) < 2:
        raise UsageError(f"{folder}: needs at least two class subfolders with audio in them (for example kick/ "
                         f"and snare/), found {len(classes)}")
    mapping = _group_map(groups_csv) if groups_csv else {}
    spelling: dict[str, str] = {}  # casefolded pack path -> its first spelling
    found: dict[str, list[Item]] = {}  # real path -> its items (more than one: reached twice)
    loose = 0
    for cls in classes:
        root = os.path.join(folder, cls)
        for p in iter_audio_files([root]):
            rel = os.path.relpath(p, root).split(os.sep)
            if groups_csv:
                group = _grouped(p, mapping, groups_csv)
            elif group_level > 0 and len(rel) > group_level:
                name = "/".join(rel[:group_level])
                group = spelling.setdefault(name.casefold(), name)
            else:
                group, loose = p, loose + 1
            found.setdefault(os.path.realpath(p), []).append(Item(p, cls, group))
    homes = {cls: os.path.realpath(os.path.join(folder, cls)) + os.sep for cls in classes}
    items, twice, torn = [], 0, []
    for real, reached in found.items():
        labels = {i.label for i in reached}
        if len(labels) > 1:  # a link from one class folder into another, or one shared folder linked from both
            owners = [c for c in labels if real.startswith(homes[c])]
            if len(owners) != 1:
                torn.append(f"{reached[0].path} ({', '.join(sorted(labels))})")
                continue
            reached = [i for i in reached if i.label == owners[0]]
        twice += len(reached) - 1
        items.append(reached[0])
    if twice:
        log.warning("%d files were reached twice (through links) and are used once, under the class folder "
                    "they are in", twice)
    if torn:
        log.warning("%d files are reached from two class folders (through links) and are left out: %s%s", len(torn),
                    "; ".join(torn[:3]), "; ..." if len(torn) > 3 else "")
    if not items:
        raise UsageError(f"{folder}: no audio files in its class subfolders")
    if groups_csv:
        grouping = f"groups from {groups_csv}"
    else:
        grouping = f"pack folder {group_level} level(s) below each class folder"
        if loose and group_level > 0 and packs:
            _warn_ungrouped(loose, "sit directly in a class folder with no pack folder" if group_level == 1 else
                            f"are not inside a folder {group_level} levels below their class folder")
            grouping += f" ({loose} files without one are their own groups)"
    return Dataset(items, grouping)


def warn_thin_classes(ds: Dataset) -> None:
    """Warn about classes too small or too narrow for grouped cross-validation to say much about them."""
    for cls in ds.classes:
        mine = [i for i in ds.items if i.label == cls]
        packs = len({i.group for i in mine})
        if len(mine) < FEW_FILES or packs < 2:
            log.warning("class %s has %d file%s in %d pack%s: cross-validation can hardly score it, and the model "
                        "will know it poorly (a few files from several packs help most)", cls, len(mine),
                        "" if len(mine) == 1 else "s", packs, "" if packs == 1 else "s")


def groups_line(ds: Dataset, *, show: int = 6) -> str:
    """``"4 groups: 808 Kit (12 files), Vol 1 (9), ..."``, the largest first: which packs the folds keep whole."""
    sizes = Counter(i.group for i in ds.items)
    if len(sizes) == len(ds.items):
        return f"{len(sizes)} groups, one per file"
    top = sizes.most_common(show)
    listed = ", ".join(f"{g} ({n} files)" if k == 0 else f"{g} ({n})" for k, (g, n) in enumerate(top))
    return f"{len(sizes)} groups: {listed}" + (", ..." if len(sizes) > show else "")


def load_dataset(path: str, *, group_level: int | None = None, groups_csv: str | None = None,
                 packs: bool = True) -> Dataset:
    """A folder of class subfolders (packs at ``group_level``, default 1) or a CSV; ``group_level`` 0: no packs.
    ``packs``: whether packs matter (training), so that files without one are warned about."""
    if os.path.isdir(path):
        return from_folder(path, group_level=1 if group_level is None else group_level, groups_csv=groups_csv,
                           packs=packs and group_level != 0)
    if os.path.isfile(path) and path.lower().endswith(".csv"):
        if group_level:
            raise UsageError(f"--group-level: {path} is a CSV, whose packs come from its group column (or "
                             "--groups CSV); --group-level is for a folder of class subfolders")
        return from_csv(path, groups_csv=groups_csv, packs=packs and group_level != 0)
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file or folder")
    raise UsageError(f"{path}: expected a folder of class subfolders or a .csv file")
