"""Repairs to WeasyPrint's PDF/UA structure tree, made while the PDF is written.

WeasyPrint 70 tags each page on its own, so an element that runs over a page break becomes
one structure element per page: a long table is read as several tables, a caption left at
the foot of a page becomes a table of its own, and a repeated table header is read again
on every page. It tags running headers and page numbers as content that belongs nowhere,
and gives header cells an /ID but no /Scope. This module hooks WeasyPrint's tagging (the
version is pinned; another version is refused) and, before the PDF is serialised:

* joins the parts of one HTML element that a page break split, so one logical table (or
  section, list, paragraph) is one structure element, its content on later pages
  referenced through marked-content references;
* drops repeated table header and footer groups from the tree and points the data cells'
  /Headers at the header cells of the first page;
* gives every TH a /Scope (Column in a thead, Row elsewhere, or the HTML scope attribute);
* turns every marked-content sequence the tree does not reach (margin boxes, repeated
  headers) into a /Pagination artifact and rebuilds the parent tree from the tree itself;
* lists the header cells' /ID in the structure tree root's /IDTree.

Everything works on WeasyPrint's in-memory objects in document order, so the bytes written
are the same on every build.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from enkat.errors import EnkatError

WEASYPRINT_VERSION = "70.0"
REPEATED_GROUPS = ("/THead", "/TFoot")
SCOPES = {"row": "/Row", "col": "/Column", "rowgroup": "/Row", "colgroup": "/Column"}


@contextmanager
def repaired_tagging() -> Iterator[None]:
    """While active, WeasyPrint's tagging is followed by `repair` (see the module doc)."""
    import weasyprint
    from weasyprint import pdf as wpdf
    from weasyprint.layout.absolute import AbsolutePlaceholder
    from weasyprint.pdf import tags as wtags

    if weasyprint.__version__ != WEASYPRINT_VERSION:
        raise EnkatError(
            "the PDF tagging repairs are written for another WeasyPrint version",
            value=weasyprint.__version__,
            expected=WEASYPRINT_VERSION,
            hint="install the pinned versions: make setup",
        )
    origins: dict[int, tuple[int, str]] = {}
    alive: list[Any] = []  # keeps the HTML elements, so that their id() stays unique
    build_box_tree = wtags._build_box_tree
    add_tags = wpdf.add_tags

    def tracing_build_box_tree(box, parent, pdf, page_number, nums, annotations, tags):  # type: ignore[no-untyped-def]
        source = box._box if isinstance(box, AbsolutePlaceholder) else box
        for element in build_box_tree(box, parent, pdf, page_number, nums, annotations, tags):
            html = getattr(source, "element", None)
            if element.number not in origins and html is not None:
                origins[element.number] = (id(html), str(element["S"]))
                alive.append(html)
                if element["S"] == "/TH":
                    _set_scope(element, html, parent, pdf)
            yield element

    def repairing_add_tags(pdf, document, pdf_version, page_streams):  # type: ignore[no-untyped-def]
        add_tags(pdf, document, pdf_version, page_streams)
        repair(pdf, page_streams, origins)

    wtags._build_box_tree = tracing_build_box_tree
    wpdf.add_tags = repairing_add_tags
    try:
        yield
    finally:
        wtags._build_box_tree = build_box_tree
        wpdf.add_tags = add_tags


def _number(reference: Any) -> int | None:
    if isinstance(reference, bytes) and reference.endswith(b" R"):
        return int(reference.split()[0])
    return None


def _set_scope(element: Any, html: Any, parent: Any, pdf: Any) -> None:
    import pydyf

    scope = SCOPES.get(str(html.get("scope", "")).lower())
    if scope is None:
        row_number = _number(parent.get("P"))
        group = pdf.objects[row_number] if parent.get("S") == "/TR" and row_number else None
        scope = "/Column" if group is not None and group.get("S") == "/THead" else "/Row"
    element.setdefault("A", pydyf.Dictionary({"O": "/Table"}))
    element["A"]["Scope"] = scope


def repair(pdf: Any, page_streams: list[Any], origins: dict[int, tuple[int, str]]) -> None:
    """Join split elements, drop repeated headers, artifact the rest (see the module doc)."""
    import pydyf

    objects = pdf.objects

    def element(reference: Any) -> Any:
        number = _number(reference)
        if number is None:
            return None
        obj = objects[number]
        return obj if isinstance(obj, dict) and obj.get("Type") == "/StructElem" else None

    def key(obj: Any) -> tuple[int, str] | None:
        return origins.get(obj.number)

    # The first TH of each HTML header cell is the one every data cell will point at.
    canonical: dict[tuple[int, str], str] = {}
    th_ids: dict[str, str] = {}
    for obj in objects:
        if isinstance(obj, dict) and obj.get("S") == "/TH" and "ID" in obj:
            origin = key(obj)
            first = canonical.setdefault(origin, obj["ID"].string) if origin else obj["ID"].string
            th_ids[obj["ID"].string] = first

    def absorb(kept: Any, later: Any) -> None:
        """Move `later`'s content (a page further on) to the end of `kept`."""
        groups = {key(c) for c in map(element, kept["K"]) if c is not None}
        for item in later["K"]:
            child = element(item)
            if isinstance(item, int):
                item = pydyf.Dictionary({"Type": "/MCR", "Pg": later["Pg"], "MCID": item})
            elif child is not None:
                if child["S"] in REPEATED_GROUPS and key(child) in groups:
                    continue  # a header group repeated on a new page: pagination, not content
                child["P"] = kept.reference
            kept["K"].append(item)

    def join(parent: Any) -> None:
        kids: list[Any] = []
        previous = None
        for item in parent["K"]:
            child = element(item)
            if (
                child is not None
                and previous is not None
                and key(child) is not None
                and key(child) == key(previous)
            ):
                absorb(previous, child)
                continue
            kids.append(item)
            previous = child
        parent["K"] = pydyf.Array(kids)
        for item in kids:
            child = element(item)
            if child is not None:
                join(child)

    root = objects[_number(pdf.catalog["StructTreeRoot"])]
    for top in root["K"]:
        join(element(top))

    # Walk the final tree: which content each element marks, the header cells' ids.
    page_of = {reference: index for index, reference in enumerate(pdf.page_references)}
    marked: dict[int, dict[int, bytes]] = {index: {} for index in range(len(page_streams))}
    annotations: dict[int, bytes] = {}
    id_tree: dict[str, bytes] = {}

    def walk(obj: Any) -> None:
        if obj["S"] == "/TH" and "ID" in obj:
            id_tree[obj["ID"].string] = obj.reference
        headers = obj.get("A", {}).get("Headers") if isinstance(obj.get("A"), dict) else None
        if headers is not None:
            obj["A"]["Headers"] = pydyf.Array(
                pydyf.String(th_ids.get(h.string, h.string)) for h in headers
            )
        for item in obj["K"]:
            if isinstance(item, int):
                marked[page_of[obj["Pg"]]][item] = obj.reference
            elif isinstance(item, pydyf.Dictionary) and item.get("Type") == "/MCR":
                marked[page_of[item["Pg"]]][item["MCID"]] = obj.reference
            else:
                child = element(item)
                if child is not None:
                    walk(child)
                elif (number := _number(item)) is not None:
                    reference = objects[number]
                    if isinstance(reference, dict) and reference.get("Type") == "/OBJR":
                        annotation = objects[_number(reference["Obj"])]
                        annotations[annotation["StructParent"]] = obj.reference

    for top in root["K"]:
        walk(element(top))

    # Content the tree does not reach is page furniture: an artifact, not a tag.
    nums = pydyf.Array()
    for index, stream in enumerate(page_streams):
        reached = marked[index]
        content = stream.stream
        highest = max(reached, default=-1)
        for position, token in enumerate(content):
            if isinstance(token, pydyf.Dictionary) and "MCID" in token:
                mcid = token["MCID"]
                highest = max(highest, mcid)
                if mcid not in reached and content[position + 1] == b"BDC":
                    content[position - 1] = "/Artifact"
                    content[position] = pydyf.Dictionary({"Type": "/Pagination"})
        nums.append(index)
        nums.append(pydyf.Array(reached.get(mcid, b"null") for mcid in range(highest + 1)))
    old = root["ParentTree"]
    old_nums = objects[_number(old)]["Nums"]
    for position in range(0, len(old_nums), 2):
        number = old_nums[position]
        if number >= len(page_streams):
            nums.append(number)
            nums.append(annotations.get(number, old_nums[position + 1]))
    objects[_number(old)]["Nums"] = nums
    root["ParentTreeNextKey"] = max([len(page_streams) - 1, *annotations]) + 1
    if id_tree:
        names = pydyf.Array()
        for name in sorted(id_tree):
            names.append(pydyf.String(name))
            names.append(id_tree[name])
        root["IDTree"] = pydyf.Dictionary({"Names": names})
