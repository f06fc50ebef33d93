"""Labelled training and evaluation sets: a folder of class subfolders, or a CSV of path,label[,group,...]."""

from __future__ import annotations

import csv
import logging
import os
from collections import Counter
from dataclasses import dataclass

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
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    if not rows or "path" not in rows[0]:
        raise UsageError(f"{path}: a CSV with a header row and at least a `path` column is needed")
    return rows


def from_csv(path: str) -> Dataset:
    """Rows ``path,label[,group][,source][,licence]``; relative paths are relative to the CSV's folder."""
    rows = _read_csv(path)
    if "label" not in rows[0]:
        raise UsageError(f"{path}: the CSV needs a `label` column")
    base = os.path.dirname(os.path.abspath(path))
    items = []
    for n, r in enumerate(rows, start=2):
        if not r.get("path") or not r.get("label"):
            raise UsageError(f"{path}: line {n}: empty path or label")
        p = r["path"] if os.path.isabs(r["path"]) else os.path.join(base, r["path"])
        items.append(Item(p, r["label"].strip(), (r.get("group") or "").strip() or p,
                          r.get("source") or "", r.get("licence") or ""))
    grouping = "the CSV's group column" if "group" in rows[0] else "none (each file its own group)"
    return Dataset(items, grouping)


def from_folder(folder: str, *, group_level: int = 1, groups_csv: str | None = None) -> Dataset:
    """``folder/<class>/.../file``: the class is the first subfolder; the group (pack) is the subfolder
    ``group_level`` levels below the class folder, or comes from ``groups_csv`` (columns path,group)."""
    if not os.path.isdir(folder):
        raise UsageError(f"{folder}: not a folder")
    classes = sorted(d for d in os.listdir(folder) if not d.startswith(".") and os.path.isdir(os.path.join(folder, d)))
    if len(classes) < 2:
        raise UsageError(f"{folder}: needs at least two class subfolders (for example kick/ and snare/), "
                         f"found {len(classes)}")
    mapping = {}
    if groups_csv:
        for r in _read_csv(groups_csv):
            if "group" not in r:
                raise UsageError(f"{groups_csv}: the CSV needs `path` and `group` columns")
            path = os.path.join(os.path.dirname(groups_csv), r["path"])
            mapping[os.path.normpath(os.path.abspath(path))] = r["group"]
    items, loose = [], 0
    for cls in classes:
        root = os.path.join(folder, cls)
        for p in iter_audio_files([root]):
            rel = os.path.relpath(p, root).split(os.sep)
            if groups_csv:
                group = mapping.get(os.path.normpath(os.path.abspath(p)))
                if group is None:
                    raise UsageError(f"{groups_csv}: no group for {p}")
            elif group_level > 0 and len(rel) > group_level:
                group = rel[group_level - 1]
            else:
                group, loose = p, loose + 1
            items.append(Item(p, cls, group))
    if not items:
        raise UsageError(f"{folder}: no audio files in its class subfolders")
    if groups_csv:
        grouping = f"groups from {groups_csv}"
    else:
        grouping = f"pack folder {group_level} level(s) below each class folder"
        if loose and group_level > 0:
            where = ("sit directly in a class folder with no pack folder" if group_level == 1 else
                     f"are not inside a folder {group_level} levels below their class folder")
            log.warning("%d files %s: each is its own group, so cross-validation is a random split for them "
                        "and will look better than it is", loose, where)
            grouping += f" ({loose} files without one are their own groups)"
    return Dataset(items, grouping)


def load_dataset(path: str, *, group_level: int = 1, groups_csv: str | None = None) -> Dataset:
    if os.path.isdir(path):
        return from_folder(path, group_level=group_level, groups_csv=groups_csv)
    if os.path.isfile(path) and path.lower().endswith(".csv"):
        return from_csv(path)
    raise UsageError(f"{path}: expected a folder of class subfolders or a .csv file")
