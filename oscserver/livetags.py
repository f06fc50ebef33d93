"""Ableton Live 12 browser tags: merge drumtag's class tags into each folder's XMP sidecar, or take them out again.

Live keeps the tags of a folder's files in ``<folder>/Ableton Folder Info/<GUID>.xmp`` (see shared/daw/LIVE.md):
one ``rdf:li`` item per file, keyed by file name, with an ``ablFR:keywords`` bag of hierarchical tags.

What drumtag writes, and what it keeps:
- one tag per file from its catalog label (``TAGS``); ``other`` gets none, so the user's tag list only grows by
  the four drum tags Live itself uses or that are established, and by one ``Drums|<Class>`` per class of a custom
  model (``clap`` -> ``Drums|Clap``, as third-party tools name them);
- the tags drumtag added are also listed in a ``drumtag:keywords`` bag inside the item (namespace ``NS_DRUMTAG``);
  an item drumtag created carries ``drumtag:createdItem``. A tag the file already had is never recorded as
  drumtag's, so ``remove`` takes away exactly what drumtag added and never a user's tag, even one spelled the same;
- everything else in the file stays as it was: other items, the user's tags, unknown elements, attributes,
  namespaces, comments, the XML declaration and an ``xpacket`` wrapper (namespace declarations may move to the
  root element when the file is written back; XML-wise that is the same document);
- writes are atomic (temporary file + rename), and the last sidecar drumtag did not write itself is kept as
  ``<GUID>.xmp.drumtag-backup`` (not ``.xmp``, so it cannot be read as a second sidecar): drumtag's later writes do
  not replace that backup with a version of its own, nor with the user's document as ``remove`` wrote it back; a
  folder whose tags would not change is not written;
- ``remove`` deletes a sidecar drumtag created once nothing is left in it (with its backup and the sidecar
  folder, if empty), also one an earlier drumtag left behind empty; a sidecar with anything of the user's in it
  (an item, an element or attribute drumtag does not write, a comment) is only written back.
Live's own database is never touched. Whether a running Live notices an edited sidecar without a rescan is
unverified.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import os
import re
import threading
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from . import __version__
from .atomicfile import atomic_copy, atomic_write
from .errors import UsageError

log = logging.getLogger(__name__)

SIDECAR_FOLDER = "Ableton Folder Info"
SIDECAR_NAME = "dc66a3fa-0fe1-5352-91cf-3ec237e9ee90.xmp"
BACKUP_SUFFIX = ".drumtag-backup"

NS_X = "adobe:ns:meta/"
NS_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS_DC = "http://purl.org/dc/elements/1.1/"
NS_ABL = "https://ns.ableton.com/xmp/fs-resources/1.0/"
NS_XMP = "http://ns.adobe.com/xap/1.0/"
#: drumtag's own XMP namespace: marks which tags (and items) drumtag wrote.
NS_DRUMTAG = "urn:drumtag:xmp:1.0#"
_PREFIXES = {"x": NS_X, "rdf": NS_RDF, "dc": NS_DC, "ablFR": NS_ABL, "xmp": NS_XMP, "drumtag": NS_DRUMTAG}
for _prefix, _uri in _PREFIXES.items():
    ET.register_namespace(_prefix, _uri)
_NAMESPACE_LOCK = threading.Lock()  # ElementTree's prefix table is the process's: one serialisation at a time

#: class -> the Live tag drumtag writes. ``other`` (not a drum sound) gets no tag; a custom model's other classes
#: get ``Drums|<Class>`` (``tag_for``).
TAGS: dict[str, str] = {"kick": "Drums|Kick", "snare": "Drums|Snare", "hat": "Drums|Hihat",
                        "percussion": "Drums|Percussion"}
#: the class that is no drum sound, so gets no tag
UNTAGGED = "other"


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


RDF_LI, RDF_BAG, RDF_DESC, RDF_RDF = (_q(NS_RDF, n) for n in ("li", "Bag", "Description", "RDF"))
RDF_PARSETYPE = _q(NS_RDF, "parseType")
#: RDF's other containers: a keywords property holding one of these already has its container
RDF_SEQ, RDF_ALT = _q(NS_RDF, "Seq"), _q(NS_RDF, "Alt")
ABL_ITEMS, ABL_PATH, ABL_KEYWORDS = (_q(NS_ABL, n) for n in ("items", "filePath", "keywords"))
DT_KEYWORDS, DT_CREATED = _q(NS_DRUMTAG, "keywords"), _q(NS_DRUMTAG, "createdItem")
XMP_CREATOR = _q(NS_XMP, "CreatorTool")

_TEMPLATE = """<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:ablFR="https://ns.ableton.com/xmp/fs-resources/1.0/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <dc:format>application/vnd.ableton.folder</dc:format>
   <ablFR:resource>folder</ablFR:resource>
   <ablFR:items>
    <rdf:Bag/>
   </ablFR:items>
   <xmp:CreatorTool>drumtag {version}</xmp:CreatorTool>
   <xmp:CreateDate>{date}</xmp:CreateDate>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


class SidecarError(ValueError):
    """An existing sidecar that drumtag cannot read safely (it is then left untouched)."""


def sidecar_path(folder: str | os.PathLike) -> str:
    return os.path.join(os.fspath(folder), SIDECAR_FOLDER, SIDECAR_NAME)


def tag_for(label: str | None) -> str | None:
    """The Live tag of a class: ``TAGS`` for the defaults, ``Drums|Clap`` for a custom model's ``clap`` (built as
    Live's own are: one level under Drums, capitalised); None for ``other`` or an empty label. A ``|`` in the
    label becomes ``-`` so the tag stays one level deep, and whitespace runs one space. The defaults are matched
    ignoring case (a model trained on ``Hat/`` tags ``Drums|Hihat``; on ``Other/``, nothing)."""
    name = " ".join((label or "").replace("|", "-").split())
    if name.casefold() in TAGS:
        return TAGS[name.casefold()]
    if not name or name.casefold() == UNTAGGED:
        return None
    return f"Drums|{name[:1].upper()}{name[1:]}"


def tags_for(label: str | None) -> set[str]:
    tag = tag_for(label)
    return {tag} if tag else set()


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


@dataclass(frozen=True)
class Change:
    """Tags added to and removed from one file's item."""

    name: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


class Sidecar:
    """A parsed sidecar that can be changed and written back with everything it held."""

    def __init__(self, root: ET.Element, *, head: str = "", tail: str = "\n",
                 prefixes: dict[str, str] | None = None):
        self.root, self.head, self.tail = root, head, tail
        self.prefixes = prefixes or {}  # {uri: prefix} of the file's own namespaces, kept when it is written back
        self._parents = {child: parent for parent in root.iter() for child in parent}
        self._bag = self._items_bag()
        self._items: dict[str, ET.Element] = {}
        for li in self._bag.findall(RDF_LI):
            path_el = li.find(ABL_PATH)
            name = li.get(ABL_PATH) if path_el is None else path_el.text  # element or attribute form
            if name:
                self._items.setdefault(_nfc(name.strip()), li)

    @classmethod
    def new(cls) -> "Sidecar":
        date = _dt.datetime.now().astimezone().replace(microsecond=0).isoformat()
        return cls(_parse(_TEMPLATE.format(version=__version__, date=date)))

    @classmethod
    def parse(cls, data: bytes) -> "Sidecar":
        """Parse a sidecar's bytes; raises SidecarError when it is not UTF-8 XMP that drumtag understands."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SidecarError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        decl = re.match(r"\ufeff?<\?xml[^>]*encoding=[\"']([^\"']+)", text)
        if decl and decl.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise SidecarError(f"declares encoding {decl.group(1)}; drumtag only rewrites UTF-8 sidecars")
        # the root starts after the prolog: a BOM, space, the declaration, comments (which may hold "<"), a DOCTYPE
        prolog = re.match(r"(?:\ufeff|\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", text, re.S)
        start = re.compile(r"<(?![?!])").match(text, prolog.end())
        ends = list(re.finditer(r"</[^<>]+>", text))
        if not start or not ends:
            raise SidecarError("no XML element in it")
        body = text[start.start():ends[-1].end()]
        root = _parse(body)
        # the file's own prefixes, for writing it back: never the default namespace (ElementTree would write
        # attributes of that namespace, rdf:about or rdf:parseType, without one, that is as other attributes),
        # never a prefix or namespace of drumtag's own, nor ElementTree's reserved ns0, ns1, ...
        prefixes = {uri: prefix for prefix, uri in _namespaces(body)
                    if prefix and prefix not in _PREFIXES and uri not in _PREFIXES.values()
                    and not re.fullmatch(r"ns\d+", prefix)}
        return cls(root, head=text[:start.start()], tail=text[ends[-1].end():], prefixes=prefixes)

    def to_bytes(self) -> bytes:
        """The sidecar as written: this file's own prefixes are used for this one serialisation only, since
        ElementTree keeps them in one table for the whole process and another sidecar must not inherit them."""
        with _NAMESPACE_LOCK:
            saved = dict(ET._namespace_map)
            try:
                for uri, prefix in self.prefixes.items():
                    ET.register_namespace(prefix, uri)
                text = ET.tostring(self.root, encoding="unicode")
            finally:
                ET._namespace_map.clear()
                ET._namespace_map.update(saved)
        return (self.head + text + self.tail).encode("utf-8")

    # -- tags -------------------------------------------------------------------------------------------------

    def set_tags(self, name: str, wanted: set[str]) -> Change | None:
        """Make drumtag's tags on ``name`` exactly ``wanted`` (the user's own tags stay); the change, if any."""
        li = self._items.get(_nfc(name))
        if li is None:
            if not wanted:
                return None
            li = ET.Element(RDF_LI, {RDF_PARSETYPE: "Resource"})
            ET.SubElement(li, ABL_PATH).text = name
            ET.SubElement(li, DT_CREATED).text = "True"
            self._append(self._bag, li)
            self._items[_nfc(name)] = li
        keywords = self._keywords_bag(li, create=bool(wanted))
        current = [] if keywords is None else [(el.text or "").strip() for el in keywords.findall(RDF_LI)]
        ours = set(self.ours(li)) & set(current)
        removed = ours - wanted
        added = wanted - set(current)
        if keywords is not None:
            for el in keywords.findall(RDF_LI):
                if (el.text or "").strip() in removed:
                    self._remove(keywords, el)
            for tag in sorted(added):
                el = ET.Element(RDF_LI)
                el.text = tag
                self._append(keywords, el)
        self._set_ours(li, sorted((ours - removed) | added))
        if li.find(DT_CREATED) is not None and not self.ours(li) and not self._has_user_content(li):
            self._remove(self._bag, li)
            del self._items[_nfc(name)]
        if not (added or removed):
            return None
        return Change(name, tuple(sorted(added)), tuple(sorted(removed)))

    def marked(self) -> bool:
        """Whether drumtag has written to this sidecar: an item carries its marks."""
        return any(li.find(DT_KEYWORDS) is not None or li.find(DT_CREATED) is not None for li in self._items.values())

    def only_drumtags(self) -> bool:
        """Whether drumtag created this sidecar and nothing else is in it (after ``remove_all``: nothing of the
        user's): no item, and no element, attribute, comment or processing instruction that drumtag's new sidecar
        (``_TEMPLATE``) lacks."""
        creator = next(self.root.iter(XMP_CREATOR), None)
        made_here = creator is not None and (creator.text or "").strip().startswith("drumtag")
        shape = _template_shape()
        return made_here and all(isinstance(el.tag, str) and el.tag in shape and set(el.attrib) <= shape[el.tag]
                                 for el in self.root.iter())

    def same_content(self, other: "Sidecar") -> bool:
        """Whether ``other`` is the same document: the same XML, comments included, up to attribute order, where
        namespaces are declared and the whitespace around text (C14N), and the same text around the root."""
        return (self.head.strip(), self.tail.strip(), _canonical(self.root)) == \
            (other.head.strip(), other.tail.strip(), _canonical(other.root))

    def ours(self, li: ET.Element) -> list[str]:
        """The tags drumtag recorded as its own on an item."""
        marker = li.find(DT_KEYWORDS)
        if marker is None:
            return []
        return [(el.text or "").strip() for el in marker.iter(RDF_LI)]

    def remove_all(self) -> list[Change]:
        """Take drumtag's tags (and the items it created) out of every item."""
        changes = []
        for name, li in list(self._items.items()):
            if li.find(DT_KEYWORDS) is not None or li.find(DT_CREATED) is not None:
                change = self.set_tags(name, set())
                if change:
                    changes.append(change)
                if li.find(DT_CREATED) is not None and self._has_user_content(li):
                    self._remove(li, li.find(DT_CREATED))  # the user tagged it too: it is theirs now
        return changes

    # -- tree helpers -----------------------------------------------------------------------------------------

    def _items_bag(self) -> ET.Element:
        for items in self.root.iter(ABL_ITEMS):
            bag = items.find(RDF_BAG)
            if bag is None:
                bag = ET.Element(RDF_BAG)
                self._append(items, bag)
            return bag
        desc = next(self.root.iter(RDF_DESC), None)
        if desc is None:
            raise SidecarError("no rdf:Description element: not a Live folder sidecar")
        items = ET.Element(ABL_ITEMS)
        self._append(desc, items)
        bag = ET.Element(RDF_BAG)
        self._append(items, bag)
        return bag

    def _keywords_bag(self, li: ET.Element, *, create: bool) -> ET.Element | None:
        keywords = li.find(ABL_KEYWORDS)
        if keywords is None:
            if not create:
                return None
            keywords = ET.Element(ABL_KEYWORDS)
            self._append(li, keywords, after=li.find(ABL_PATH))
        bag = next((c for c in keywords if c.tag in (RDF_BAG, RDF_SEQ, RDF_ALT)), None)  # a Seq is the user's too
        if bag is None and create:
            bag = ET.Element(RDF_BAG)
            self._append(keywords, bag)
        return bag

    def _set_ours(self, li: ET.Element, tags: list[str]) -> None:
        marker = li.find(DT_KEYWORDS)
        if marker is not None:
            self._remove(li, marker)
        if tags:
            marker = ET.Element(DT_KEYWORDS)
            bag = ET.SubElement(marker, RDF_BAG)
            for tag in tags:
                ET.SubElement(bag, RDF_LI).text = tag
            self._append(li, marker)

    def _has_user_content(self, li: ET.Element) -> bool:
        """Anything in an item besides its file path, drumtag's markers and drumtag's own tags."""
        ours = set(self.ours(li))
        for child in li:
            if child.tag in (ABL_PATH, DT_KEYWORDS, DT_CREATED):
                continue
            if child.tag == ABL_KEYWORDS:
                if any((el.text or "").strip() not in ours for el in child.iter(RDF_LI)):
                    return True
                continue
            return True
        return False

    def _indent_before(self, el: ET.Element) -> str:
        """The line break and indentation in front of ``el`` in the file (one space per level if there is none)."""
        parent = self._parents.get(el)
        if parent is None:
            return "\n"
        index = list(parent).index(el)
        found = _whitespace(parent.text if index == 0 else parent[index - 1].tail)
        if found:
            return found
        depth = 0
        while el in self._parents:
            el, depth = self._parents[el], depth + 1
        return "\n" + " " * depth

    def _append(self, parent: ET.Element, child: ET.Element, *, after: ET.Element | None = None) -> None:
        """Insert ``child`` (after ``after``, else last), indented in the file's own style."""
        outer = self._indent_before(parent)
        inner = (_whitespace(parent.text) if len(parent) else None) or outer + " "
        step = inner[len(outer):] if inner.startswith(outer) and len(inner) > len(outer) else " "
        _indent(child, inner, step)
        index = len(parent) if after is None else list(parent).index(after) + 1
        if len(parent) == 0:
            parent.text, child.tail = inner, outer
        elif index == len(parent):
            child.tail, parent[-1].tail = parent[-1].tail, inner
        else:
            child.tail = inner
        parent.insert(index, child)
        for el in child.iter():
            for sub in el:
                self._parents[sub] = el
        self._parents[child] = parent

    def _remove(self, parent: ET.Element, child: ET.Element) -> None:
        siblings = list(parent)
        index = siblings.index(child)
        if index == len(siblings) - 1 and index > 0:
            siblings[index - 1].tail = child.tail
        parent.remove(child)
        if len(parent) == 0 and not (parent.text or "").strip():
            parent.text = None
        self._parents.pop(child, None)


def _whitespace(text: str | None) -> str | None:
    """``text`` if it is a line break plus indentation, else None."""
    return text if text and "\n" in text and not text.strip() else None


def _indent(el: ET.Element, base: str, step: str) -> None:
    """Lay out the children of a new element ``el`` that starts after ``base`` (a line break and indentation)."""
    if len(el):
        el.text = base + step
        for child in el:
            _indent(child, base + step, step)
            child.tail = base + step
        el[-1].tail = base


def _parse(text: str) -> ET.Element:
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
    try:
        parser.feed(text)
        return parser.close()
    except ET.ParseError as exc:
        raise SidecarError(f"not well-formed XML ({exc})") from None


def _canonical(root: ET.Element) -> str:
    return ET.canonicalize(ET.tostring(root, encoding="unicode"), with_comments=True, strip_text=True)


_shape: dict[str, set[str]] = {}


def _template_shape() -> dict[str, set[str]]:
    """Element -> its attributes, in drumtag's new sidecar: all that a sidecar drumtag created holds of its own."""
    if not _shape:
        _shape.update((el.tag, set(el.attrib)) for el in _parse(_TEMPLATE.format(version="", date="")).iter())
    return _shape


def _namespaces(text: str) -> list[tuple[str, str]]:
    return [ns for _, ns in ET.iterparse(io.StringIO(text), events=("start-ns",))]


# -- folders -----------------------------------------------------------------------------------------------------

@dataclass
class FolderReport:
    """What happened (or, in a dry run, would happen) to one folder's sidecar."""

    folder: str
    sidecar: str
    changes: list[Change] = field(default_factory=list)
    written: bool = False
    backup: str | None = None
    error: str | None = None
    #: files whose catalog row is older than the file (changed since tagging): left as they were
    stale: int = 0
    #: in a dry run: the folder is not writable, so a real run would fail
    not_writable: bool = False
    #: remove: the sidecar was drumtag's own and is now empty, so it was deleted (with its backup); in a dry run,
    #: it would be
    deleted: bool = False


def update_folder(folder: str, labels: dict[str, str | None] | None, *, dry_run: bool = False) -> FolderReport:
    """Set drumtag's tags of ``folder``'s files from ``labels`` (file name -> class; None: remove drumtag's tags).

    Never raises for a folder problem: the report's ``error`` says what went wrong, and the sidecar is unchanged.
    """
    path = sidecar_path(folder)
    report = FolderReport(folder=folder, sidecar=path)
    try:
        with open(path, "rb") as f:
            data: bytes | None = f.read()
    except FileNotFoundError:
        data = None
    except OSError as exc:
        report.error = f"cannot read {path} ({exc.strerror or exc})"
        return report
    try:
        sidecar = Sidecar.new() if data is None else Sidecar.parse(data)
    except SidecarError as exc:
        report.error = f"{path}: {exc}; left as it is"
        return report
    drumtags_own = sidecar.marked()  # the file as it is now was written by drumtag
    if labels is None:
        report.changes = sidecar.remove_all()
    else:
        report.changes = [c for name, label in sorted(labels.items())
                          if (c := sidecar.set_tags(name, tags_for(label)))]
    # also with no change: a sidecar an earlier drumtag left empty behind it
    delete = labels is None and data is not None and sidecar.only_drumtags()
    if not (report.changes or delete):
        return report
    if dry_run:
        target = os.path.dirname(path) if os.path.isdir(os.path.dirname(path)) else folder
        report.not_writable = not os.access(target, os.W_OK)
        report.deleted = delete
        return report
    try:
        if delete:
            _delete_own(path)
            report.written = report.deleted = True
            return report
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if data is not None:
            report.backup = _back_up(path, data, drumtags_own)
        with atomic_write(path, "wb") as f:
            f.write(sidecar.to_bytes())
        report.written = True
    except OSError as exc:
        report.error = f"cannot write {path} ({exc.strerror or exc})"
    return report


def _back_up(path: str, data: bytes, drumtags_own: bool) -> str:
    """Copy the sidecar at ``path`` (its bytes ``data``) to its backup, unless the backup already holds the user's
    version of it; the backup's path."""
    backup = path + BACKUP_SUFFIX
    if not _backup_is_current(backup, data, drumtags_own):
        atomic_copy(path, backup)
    return backup


def _backup_is_current(backup: str, data: bytes, drumtags_own: bool) -> bool:
    """Whether ``backup`` holds the user's last version of the sidecar that is now ``data``: ``data`` carries
    drumtag's marks (drumtag wrote it from the backed-up one), or is the backup's document written back by drumtag
    without its tags (``remove``), which would otherwise replace the user's own bytes. Anything else in ``data``
    (the user edited the sidecar since, or it is new) is the version to keep."""
    if not os.path.exists(backup):
        return False
    if drumtags_own:
        return True
    try:
        with open(backup, "rb") as f:
            return Sidecar.parse(f.read()).same_content(Sidecar.parse(data))
    except (OSError, SidecarError):
        return False


def _delete_own(path: str) -> None:
    """Delete a sidecar drumtag created (now empty), its backup if that too is only drumtag's, and the sidecar
    folder if nothing else is in it."""
    backup = path + BACKUP_SUFFIX
    try:
        with open(backup, "rb") as f:
            old = Sidecar.parse(f.read())
        old.remove_all()
        if old.only_drumtags():
            os.remove(backup)
    except (OSError, SidecarError):
        pass  # no backup, or one with something else in it: it stays
    os.remove(path)
    try:
        os.rmdir(os.path.dirname(path))
    except OSError:
        pass  # other files in it


def _folders(roots: Iterable[str]) -> Iterator[str]:
    """Each root and every folder below it (sorted; hidden folders and sidecar folders skipped), each real folder
    once: roots that overlap (``lib lib/kit``) or repeat list their folders once.

    Linked folders are followed, as ``drumtag tag`` follows them: both walk with ``classify.walk_folders``, so a
    real folder reached twice (itself and through a link) is visited once, under the spelling ``tag`` met first,
    the one its catalog rows have, and its one sidecar is written once. Link loops end."""
    from .classify import walk_folders

    seen: set = set()
    for root in roots:
        for folder, _ in walk_folders(root, seen, keep=lambda d: os.path.basename(d) != SIDECAR_FOLDER):
            yield folder


def folder_labels(catalog, folder: str) -> tuple[dict[str, str], int]:
    """(file name -> label for the folder's catalogued, unchanged files; how many changed since tagging). A file
    catalogued under another spelling of its path (its real one) counts too."""
    labels, stale = {}, 0
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        log.warning("%s: cannot list (%s)", folder, exc.strerror or exc)
        return labels, stale
    for e in entries:
        try:
            if not e.is_file():
                continue
            # the row of the path as reached, else of the real file (catalogued through another spelling)
            entry = catalog.get(e.path) or catalog.get(os.path.realpath(e.path))
            if entry is None or entry.error or not entry.label:
                continue
            if not entry.matches(e.stat()):
                stale += 1
                continue
        except OSError:
            continue
        labels[e.name] = entry.label
    return labels, stale


def live_tags(folders: Iterable[str | os.PathLike], *, catalog_path: str | os.PathLike | None = None,
              remove: bool = False, dry_run: bool = False) -> Iterator[FolderReport]:
    """Update (or with ``remove``, clean) the sidecar of every folder under ``folders``; a report per folder
    that has catalogued files (or, with ``remove``, a sidecar). Raises UsageError for a missing folder and
    CatalogError when there is no catalog (not needed for ``remove``)."""
    roots = [os.path.abspath(os.fspath(f)) for f in folders]
    for root in roots:
        if not os.path.isdir(root):
            raise UsageError(f"{root}: not a folder")
    if remove:
        for folder in _folders(roots):
            if os.path.isfile(sidecar_path(folder)):
                yield update_folder(folder, None, dry_run=dry_run)
        return
    from .catalog import Catalog

    with Catalog(catalog_path, create=False) as catalog:
        for folder in _folders(roots):
            labels, stale = folder_labels(catalog, folder)
            if labels:
                report = update_folder(folder, labels, dry_run=dry_run)
                report.stale = stale
                yield report
