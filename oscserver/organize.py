"""A sorted view of a sample folder: ``OUT/<class>/<name>`` links (or copies) of the originals, which stay put.

Links are symbolic links with absolute targets (the default: no extra disk space, and the view follows the
originals). ``copy`` copies each file atomically, keeping its modification time. Where symbolic links cannot be
made (Windows without Developer Mode, some network or FAT drives) the link mode stops before doing anything and
says to use ``copy``; it never falls back silently. Originals are only read: never moved, renamed or deleted.
Two files with the same name in one class become ``name.wav``, ``name (2).wav``, ...; running again places only
what is new (an existing link to the same original, whatever spelling of its path the link holds, or that
original's copy, is recognised, also under a name the user gave it: see ``Copies`` for how a copy is told).
A file whose class changed (a new model, or the file was edited) leaves its old place: in link mode drumtag's
own links to it in the other class folders are removed; in copy mode the earlier copies are only reported, as
the user may have edited a copy.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Callable

from .atomicfile import atomic_copy
from .catalog import Catalog, Entry, check_catalog_path, file_hash
from .classify import iter_audio_files
from .classes import is_unsure
from .dataset import check_class_names
from .errors import UsageError
from .tagging import MAX_REPORTED_ERRORS, TagSummary, tag_paths

log = logging.getLogger(__name__)

MODES = ("link", "copy")
#: left in every OUT: a later organize (or one of another FOLDER) does not sort a sorted view's files again
MARKER = ".drumtag-organized"
#: where ``unsure_below`` puts the files the model is not sure of: ``OUT/unsure/<class>/``
UNSURE = "unsure"


@dataclass
class OrganizeSummary:
    """What organize did: files placed now, already in place, not classified, failed to place."""

    into: str
    mode: str
    tagging: TagSummary | None = None
    placed: int = 0
    already: int = 0
    unclassified: int = 0
    failed: int = 0
    #: of the placed and already-there files, those under ``OUT/unsure/`` (confidence below ``unsure_below``)
    unsure: int = 0
    unsure_below: float | None = None
    by_label: collections.Counter = field(default_factory=collections.Counter)
    #: link mode: of the placed and already-there files, those whose old links in another class folder (a class
    #: they had before) were removed
    moved: int = 0
    #: copy mode: copies of the placed and already-there files left from before under another class folder;
    #: ``earlier_copies`` names up to ``MAX_REPORTED_ERRORS`` of them (copy, its original)
    earlier: int = 0
    earlier_copies: list[tuple[str, str]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        verb = "linked" if self.mode == "link" else "copied"
        out = [f"{self.placed} files {verb} into {self.into}, {self.already} already there, "
               f"{self.unclassified} not classified (see the tagging errors), {self.failed} failed"]
        if self.by_label:
            out.append("classes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.by_label.items())))
        if self.unsure_below is not None:
            out.append(f"{self.unsure} of them with confidence below {self.unsure_below:g} are in "
                       f"{os.path.join(self.into, UNSURE)}/<class>/: worth a listen")
        if self.moved:
            out.append(f"{self.moved} of them moved to another class: their old links in the other class "
                       f"folders were removed")
        if self.earlier:
            one = self.earlier == 1
            out.append(f"{self.earlier} earlier {'copy' if one else 'copies'} of them {'sits' if one else 'sit'} "
                       f"under another class, left as {'it is' if one else 'they are'} (drumtag never deletes a "
                       f"copy: delete {'it' if one else 'them'} yourself unless you made {'it' if one else 'them'} "
                       f"your own):")
            out += [f"earlier copy: {c} (of {p})" for c, p in self.earlier_copies]
            if self.earlier > len(self.earlier_copies):
                out.append(f"earlier copy: ... and {self.earlier - len(self.earlier_copies)} more")
        out += [f"error: {p}: {r}" for p, r in self.errors]
        return out


def _inside(path: str, folder: str) -> bool:
    return path != folder and path.startswith(folder.rstrip(os.sep) + os.sep)


def _check_places(folder: str, into: str, classes: tuple[str, ...]) -> str | None:
    """Refuse layouts that would organize a folder into itself; the part of ``folder`` to leave out, if any."""
    if not os.path.isdir(folder):
        raise UsageError(f"{folder}: not a folder")
    real_folder, real_into = os.path.realpath(folder), os.path.realpath(into)
    if real_into == real_folder:
        raise UsageError(f"--into {into}: must not be the folder being organized; pick a new folder")
    for c in classes:
        class_dir = os.path.join(real_into, c)
        if real_folder == class_dir or _inside(real_folder, class_dir):
            raise UsageError(f"{folder}: lies inside --into's class folder {class_dir}; pick another --into")
    if _inside(real_into, real_folder):  # OUT inside FOLDER: its files are not scanned again
        return os.path.join(os.path.abspath(folder), os.path.relpath(real_into, real_folder))
    return None


def _prepare(into: str, mode: str) -> None:
    if os.path.exists(into) and not os.path.isdir(into):
        raise UsageError(f"--into {into}: is a file, not a folder; give a folder (new or existing)")
    try:
        os.makedirs(into, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--into {into}: cannot create it ({exc.strerror or exc})") from None
    if not os.access(into, os.W_OK):
        raise UsageError(f"--into {into}: not writable")
    if mode == "link":
        _probe_links(into)
    marker = os.path.join(into, MARKER)
    if not os.path.exists(marker):
        try:
            with open(marker, "w", encoding="utf-8") as f:
                f.write("A sorted view made by drumtag organize: drumtag does not sort the files below it again.\n")
        except OSError as exc:
            raise UsageError(f"--into {into}: cannot write in it ({exc.strerror or exc})") from None


def _probe_links(into: str) -> None:
    probe = os.path.join(into, f".drumtag-link-probe-{uuid.uuid4().hex[:8]}")
    try:
        os.symlink(os.path.abspath(into), probe)
    except (OSError, NotImplementedError, AttributeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise UsageError(f"--link: cannot create symbolic links in {into} ({reason}); use --copy") from None
    finally:
        if os.path.lexists(probe):
            os.unlink(probe)


def _sources(folder: str, exclude: str | None) -> tuple[list[str], bool]:
    """The audio files under ``folder`` to sort: each real file once (a link view lists its originals again; the
    file itself is kept rather than a link to it), none
    under ``exclude`` (OUT) or under an earlier sorted view (a folder with ``MARKER``); and whether that is every
    audio file under ``folder``."""
    @functools.cache
    def in_view(d: str) -> bool:  # whether folder ``d`` (inside ``folder``) or one above it is a sorted view
        if d != folder and not _inside(d, folder):
            return False
        return os.path.exists(os.path.join(d, MARKER)) or (d != folder and in_view(os.path.dirname(d)))

    files: dict[str, str] = {}  # real path -> the spelling to sort: the file itself rather than a link to it
    found = 0
    for p in iter_audio_files([folder]):
        found += 1
        if exclude and (p == exclude or _inside(p, exclude)) or in_view(os.path.dirname(p)):
            continue
        real = os.path.realpath(p)
        if real not in files or (os.path.islink(files[real]) and not os.path.islink(p)):
            files[real] = p
    return list(files.values()), found == len(files)


def _same(candidate: str, src: str, *, mode: str, src_hash: str | None) -> bool:
    """``candidate`` already is ``src``'s link (link mode: to the same real file, whatever path the link holds) or
    an identical copy (copy mode)."""
    if os.path.islink(candidate):
        return mode == "link" and os.path.realpath(candidate) == os.path.realpath(src)
    if mode != "copy" or not os.path.isfile(candidate) or os.path.getsize(candidate) != os.path.getsize(src):
        return False
    return file_hash(candidate) == (src_hash or file_hash(src))


def links_in(class_dir: str) -> dict[str, list[str]]:
    """{real path of an original: its links} of the symbolic links in ``class_dir``, whatever their names (a user
    may rename them). Keyed by real path, so that a link made through another spelling of the original's folder
    (``~/Samples`` against the folder it links to, or a mount path) is still that original's."""
    found: dict[str, list[str]] = {}
    try:
        entries = sorted(os.scandir(class_dir), key=lambda e: e.name)
    except OSError:
        return found
    for e in entries:
        if e.is_symlink():
            found.setdefault(os.path.realpath(e.path), []).append(e.path)
    return found


def _copy_rank(name: str, original: str) -> int | None:
    """1 if ``name`` is ``original``'s own file name, n for ``stem (n).ext`` (the names ``place`` gives its copies
    when the name is taken), None for any other name."""
    if name == original:
        return 1
    stem, ext = os.path.splitext(original)
    m = re.fullmatch(re.escape(stem) + r" \(([0-9]+)\)" + re.escape(ext), name)
    return int(m.group(1)) if m and int(m.group(1)) >= 2 else None


class Copies:
    """The copies in a class folder (copy mode's index), and which original each one is.

    A copy carries no mark of its original, so it is told by content and name. A file here with an original's
    content is that original's copy when, first, it has one of the names ``place`` gives the original's copies
    (``name.wav``, ``name (2).wav``, ...), or else when the user renamed it: its name is none that ``place``
    would give any original with that content (``sources``: content hash -> the file names of this run's
    originals), so nothing else explains it. A copy one original of the run has taken (``claimed``) is no other's.
    So two originals with the same bytes get a copy each (the second is not "already there" as the first's copy,
    whose name is the first's), a copy the user renamed is still recognised, and of several renamed copies of one
    content each original takes one. Hashes are computed once, and only for sizes that an original shares."""

    def __init__(self, class_dir: str, sources: dict[str, set[str]] | None = None):
        self.by_size: dict[int, list[str]] = collections.defaultdict(list)
        self.sources = sources if sources is not None else {}
        self.claimed: set[str] = set()
        self._hashes: dict[str, str] = {}
        try:
            entries = sorted(os.scandir(class_dir), key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            try:
                if e.is_file(follow_symlinks=False) and not e.name.startswith("."):
                    self.by_size[e.stat(follow_symlinks=False).st_size].append(e.path)
            except OSError:
                pass

    def _hash(self, path: str) -> str:
        if path not in self._hashes:
            try:
                self._hashes[path] = file_hash(path)
            except OSError:
                self._hashes[path] = ""
        return self._hashes[path]

    def copy_of(self, name: str, size: int, digest: str) -> str | None:
        """The copy of the original named ``name`` (``size`` bytes, content hash ``digest``), now claimed for it;
        None if there is none (see the class's rule)."""
        same = [p for p in self.by_size.get(size, ()) if p not in self.claimed and self._hash(p) == digest]
        named = sorted((rank, p) for p in same if (rank := _copy_rank(os.path.basename(p), name)) is not None)
        others = self.sources.get(digest, ())
        renamed = [p for p in same if not any(_copy_rank(os.path.basename(p), o) is not None for o in others)]
        found = named[0][1] if named else (renamed[0] if renamed else None)
        if found is not None:
            self.claimed.add(found)
        return found

    def add(self, path: str, size: int, digest: str) -> None:
        self.by_size[size].append(path)
        self._hashes[path] = digest
        self.claimed.add(path)


def place(src: str, class_dir: str, *, mode: str, src_hash: str | None = None,
          links: dict[str, list[str]] | None = None, copies: Copies | None = None) -> tuple[str, bool]:
    """Link or copy ``src`` into ``class_dir`` under a free name; (its path there, True if made now).

    ``links``: ``links_in(class_dir)``, kept up to date here; in link mode a link to ``src``'s real file under any
    name there (one the user renamed) means it is already placed. ``copies``: ``Copies(class_dir)``, the same in
    copy mode: ``src``'s copy there (see ``Copies``) means it is placed."""
    src = os.path.abspath(src)
    real = os.path.realpath(src)
    if mode == "link" and links is not None and links.get(real):
        return links[real][0], False
    if mode == "copy" and copies is not None:
        size, digest = os.path.getsize(src), src_hash or file_hash(src)
        found = copies.copy_of(os.path.basename(src), size, digest)
        if found is not None:
            return found, False
    # with the folder's index, a taken name is never src's: the index would have found it above, without hashing
    # the file under that name a second time
    indexed = (links if mode == "link" else copies) is not None
    os.makedirs(class_dir, exist_ok=True)
    stem, ext = os.path.splitext(os.path.basename(src))
    n = 0
    while True:
        n += 1
        target = os.path.join(class_dir, f"{stem}{ext}" if n == 1 else f"{stem} ({n}){ext}")
        if os.path.lexists(target):
            if not indexed and _same(target, src, mode=mode, src_hash=src_hash):
                return target, False
            continue
        if mode == "link":
            try:
                os.symlink(src, target)  # the path as given, not the real one: the view follows that spelling
            except FileExistsError:  # appeared meanwhile: try the next name
                continue
            if links is not None:
                links.setdefault(real, []).append(target)
        else:
            atomic_copy(src, target)
            if copies is not None:
                copies.add(target, size, digest)
        return target, True


class _View:
    """OUT's class folders (``OUT/<class>/`` and, unless a class is named ``unsure``, ``OUT/unsure/<class>/``),
    each indexed once per run: its links in link mode, its copies in copy mode. Only folders named after the
    model's classes are looked in: another folder in OUT is the user's, and its links are not drumtag's to take."""

    def __init__(self, into: str, classes: tuple[str, ...], sources: dict[str, set[str]]):
        dirs = [os.path.join(into, c) for c in classes]
        if UNSURE not in classes:
            dirs += [os.path.join(into, UNSURE, c) for c in classes]
        # those an earlier run made: a folder this run makes holds only this run's placements, none of them stale
        self.earlier = [d for d in dirs if os.path.isdir(d)]
        self.sources = sources
        self._links: dict[str, dict[str, list[str]]] = {}
        self._copies: dict[str, Copies] = {}

    def links(self, class_dir: str) -> dict[str, list[str]]:
        if class_dir not in self._links:
            self._links[class_dir] = links_in(class_dir)
        return self._links[class_dir]

    def copies(self, class_dir: str) -> Copies:
        if class_dir not in self._copies:
            self._copies[class_dir] = Copies(class_dir, self.sources)
        return self._copies[class_dir]

    def others(self, class_dir: str) -> list[str]:
        """The class folders other than ``class_dir`` that an earlier run made."""
        return [d for d in self.earlier if d != class_dir]

    def drop_old_links(self, src: str, class_dir: str) -> list[str]:
        """Remove the links to ``src``'s real file in the other class folders: drumtag's own links from when it had
        another class (the original is untouched); the links removed. Raises OSError when one cannot be."""
        real, gone = os.path.realpath(src), []
        for d in self.others(class_dir):
            index = self.links(d)
            while index.get(real):
                link = index[real][0]
                if os.path.islink(link):  # still a link: never a file the user put there meanwhile
                    os.unlink(link)
                    gone.append(link)
                index[real].pop(0)
        return gone

    def earlier_copies(self, src: str, class_dir: str, digest: str) -> list[str]:
        """``src``'s copies (by ``Copies``'s rule) in the other class folders, left from when it had another class:
        only reported, never deleted (the user may have edited a copy). A copy of the file as it was before an edit
        has other content and is not found."""
        size, name = os.path.getsize(src), os.path.basename(src)
        return [c for d in self.others(class_dir) if (c := self.copies(d).copy_of(name, size, digest))]


def _content_names(paths: list[str], hashes: dict[str, str | None]) -> dict[str, set[str]]:
    """content hash -> the file names of the originals with that content (for ``Copies``); a file that cannot be
    read is left out (placing it fails anyway)."""
    names: dict[str, set[str]] = collections.defaultdict(set)
    for path in paths:
        try:
            hashes[path] = hashes[path] or file_hash(path)
        except OSError:
            continue
        names[hashes[path]].add(os.path.basename(os.path.abspath(path)))
    return names


def organize(folder: str | os.PathLike, into: str | os.PathLike, *, model, mode: str = "link",
             catalog_path: str | os.PathLike | None = None, jobs: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             cancel: threading.Event | None = None, unsure_below: float | None = None) -> OrganizeSummary:
    """Tag what the catalog lacks under ``folder``, then place every classified file in ``into/<label>/``, or in
    ``into/unsure/<label>/`` when ``unsure_below`` is given and its confidence is lower (the bundled model's
    confidences are calibrated: of files at 0.6, about six in ten are right). A file placed earlier under another
    class folder loses its old links there (link mode); its earlier copies there are reported (copy mode).

    Raises UsageError for a bad folder, a class name that cannot be a folder name, an ``into`` inside a class
    folder or equal to ``folder``, an unwritable ``into``, link mode where links cannot be made, or an
    ``unsure_below`` outside (0, 1].
    """
    if mode not in MODES:
        raise UsageError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    if unsure_below is not None and not 0.0 < unsure_below <= 1.0:
        raise UsageError(f"--unsure-below {unsure_below:g}: must be a confidence above 0 and at most 1")
    check_class_names(model.classes, f"the model {getattr(model, 'model_id', '')}".rstrip())  # folder names in OUT
    if unsure_below is not None and UNSURE in model.classes:
        raise UsageError(f"--unsure-below: the model has a class named {UNSURE!r}, whose folder it would share")
    folder, into = os.path.abspath(os.fspath(folder)), os.path.abspath(os.fspath(into))
    exclude = _check_places(folder, into, tuple(model.classes) + ((UNSURE,) if unsure_below is not None else ()))
    if catalog_path is not None:
        check_catalog_path(os.path.abspath(os.fspath(catalog_path)))  # before OUT is made
    _prepare(into, mode)
    files, everything = _sources(folder, exclude)
    summary = OrganizeSummary(into=into, mode=mode, unsure_below=unsure_below)
    summary.tagging = tag_paths([folder] if everything else files, model=model, catalog_path=catalog_path,
                                jobs=jobs, progress=progress, cancel=cancel)
    with Catalog(summary.tagging.catalog_path) as catalog:
        entries = _classified(files, catalog, summary)
    hashes = {path: entry.hash for path, entry in entries}
    view = _View(into, tuple(model.classes), _content_names(list(hashes), hashes) if mode == "copy" else {})
    for path, entry in entries:
        unsure = unsure_below is not None and is_unsure(entry.confidence, unsure_below)
        class_dir = os.path.join(into, *((UNSURE,) if unsure else ()), entry.label)
        if _place_one(path, class_dir, hashes[path], view, summary):
            summary.by_label[entry.label] += 1
            summary.unsure += unsure
    return summary


def _classified(files: list[str], catalog: Catalog, summary: OrganizeSummary) -> list[tuple[str, Entry]]:
    """(path, catalog entry) of the files with a current label; the others are counted as not classified."""
    out = []
    for path in files:
        entry = catalog.get(path)
        try:
            current = entry is not None and entry.matches(os.stat(path))
        except OSError:
            current = False
        if not current or entry.error or not entry.label:
            summary.unclassified += 1
        else:
            out.append((path, entry))
    return out


def _place_one(path: str, class_dir: str, digest: str | None, view: _View, summary: OrganizeSummary) -> bool:
    """Place ``path`` in ``class_dir``, then deal with its places under other classes: remove its old links (link
    mode; only once the new one is there, so the file never leaves the view) or report its earlier copies (copy
    mode). Counts it in ``summary``; whether it is placed."""
    mode = summary.mode
    try:
        _, made = place(path, class_dir, mode=mode, src_hash=digest,
                        links=view.links(class_dir) if mode == "link" else None,
                        copies=view.copies(class_dir) if mode == "copy" else None)
    except OSError as exc:
        _error(summary, path, exc, f"cannot place it in {class_dir}", class_dir)
        return False
    try:
        if mode == "link":
            summary.moved += bool(view.drop_old_links(path, class_dir))
        else:
            earlier = view.earlier_copies(path, class_dir, digest or file_hash(path))
            summary.earlier += len(earlier)
            room = MAX_REPORTED_ERRORS - len(summary.earlier_copies)
            summary.earlier_copies += [(c, path) for c in earlier[:max(room, 0)]]
    except OSError as exc:
        what = "cannot remove its old link" if mode == "link" else "cannot look for its earlier copies"
        _error(summary, path, exc, f"placed in {class_dir}, but {what}", class_dir)
        return False
    summary.placed += made
    summary.already += not made
    return True


def _error(summary: OrganizeSummary, path: str, exc: OSError, what: str, class_dir: str) -> None:
    summary.failed += 1
    if len(summary.errors) < MAX_REPORTED_ERRORS:
        where = exc.filename if exc.filename and exc.filename != path else class_dir
        summary.errors.append((path, f"{what} ({where}: {exc.strerror or exc})"))
