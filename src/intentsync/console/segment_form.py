"""The dynamic rules form: a rule tree written as named fields, so it works without JavaScript.

Every node has a path: 'r' is the root group, 'r.0' its first item, 'r.0.1' the second item
of that group. A node sends '<path>.kind' (group or condition) and either '<path>.combinator'
or '<path>.field', '<path>.operator' and '<path>.value'. Values are typed as text: a list is
written comma-separated (between: low, high), is_empty takes true or false (blank: true), and
a number field's value is read as a number. The service validates the document built here,
so a marketer sees the same messages as the CLI and the API give.
"""

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from intentsync.kit.errors import BadRequest
from intentsync.segments.rules import MULTI_VALUED, OPERATOR_LABELS, FieldSpec

MAX_NODES = 200
_PATH = re.compile(r"r(?:\.\d{1,3}){0,8}")
_ERROR_PATH = re.compile(r"rules((?:\.(?:and|or)\[\d+\])*)")
_SPLIT = re.compile(r"[,\n]")


@dataclass
class Node:
    kind: str  # group | condition
    combinator: str = "and"
    field: str = ""
    operator: str = ""
    value: str = ""
    items: list["Node"] = dataclasses.field(default_factory=list)
    path: str = "r"
    error: str | None = None

    @property
    def title(self) -> str:
        return title(self)


def _number(node: Node, path: str = "r") -> Node:
    node.path = path
    for i, item in enumerate(node.items):
        _number(item, f"{path}.{i}")
    return node


def value_text(value: Any) -> str:
    """A stored rule value as the form writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _from_doc(doc: dict[str, Any]) -> Node:
    if "and" in doc or "or" in doc:
        combinator = "and" if "and" in doc else "or"
        items = doc[combinator] if isinstance(doc[combinator], list) else []
        return Node(
            "group",
            combinator=combinator,
            items=[_from_doc(item) for item in items if isinstance(item, dict)],
        )
    return Node(
        "condition",
        field=str(doc.get("field", "")),
        operator=str(doc.get("operator", "")),
        value=value_text(doc.get("value")),
    )


def from_rules(doc: Any, fields: Sequence[FieldSpec]) -> Node:
    """The form tree of saved rules; a segment without rules starts with one empty condition."""
    root = _from_doc(doc) if isinstance(doc, dict) else None
    if root is None:
        root = Node("group", items=[new_condition(fields)])
    elif root.kind == "condition":
        root = Node("group", items=[root])
    return _number(root)


def new_condition(fields: Sequence[FieldSpec]) -> Node:
    first = fields[0]
    return Node("condition", field=first.name, operator=first.operators[0])


def _order(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.split(".")[1:])


def from_form(names: Sequence[str], text: Callable[[str], str]) -> Node:
    """The tree a submitted form describes, from its field names and a reader of one field."""
    paths = [name[: -len(".kind")] for name in dict.fromkeys(names) if name.endswith(".kind")]
    if len(paths) > MAX_NODES:
        raise BadRequest(f"A rule has at most {MAX_NODES} conditions and groups")
    nodes: dict[str, Node] = {}
    for path in paths:
        if not _PATH.fullmatch(path):
            raise BadRequest("The rules form was changed in a way it cannot read; reload the page")
        kind = text(f"{path}.kind")
        if kind == "group":
            combinator = text(f"{path}.combinator")
            nodes[path] = Node("group", combinator="or" if combinator == "or" else "and")
        else:
            nodes[path] = Node(
                "condition",
                field=text(f"{path}.field"),
                operator=text(f"{path}.operator"),
                value=text(f"{path}.value"),
            )
    root = nodes.get("r")
    if root is None or root.kind != "group":
        root = Node("group")
        nodes["r"] = root
    for path in sorted(nodes, key=_order):
        if path == "r":
            continue
        parent = nodes.get(path.rsplit(".", 1)[0])
        if parent is not None and parent.kind == "group":
            parent.items.append(nodes[path])
    return _number(root)


def find(root: Node, path: str) -> Node | None:
    node = root
    for index in _order(path):
        if node.kind != "group" or index >= len(node.items):
            return None
        node = node.items[index]
    return node


def apply(root: Node, action: str, fields: Sequence[FieldSpec]) -> Node:
    """Add a condition or group to a group, or remove a node, as a builder button asks."""
    verb, _, path = action.partition(":")
    target = find(root, path) if _PATH.fullmatch(path) else None
    if target is None:
        raise BadRequest("That part of the rules is no longer on the form; reload the page")
    if verb in ("add-condition", "add-group"):
        if target.kind != "group":
            raise BadRequest("Conditions and groups are added to a group")
        if verb == "add-condition":
            target.items.append(new_condition(fields))
        else:
            other = "or" if target.combinator == "and" else "and"
            target.items.append(Node("group", combinator=other, items=[new_condition(fields)]))
    elif verb == "remove" and path != "r":
        parent = find(root, path.rsplit(".", 1)[0])
        if parent is not None:
            parent.items.remove(target)
    else:
        raise BadRequest(f"Unknown rules action '{action[:40]}'")
    return _number(root)


def _one(text: str, kind: str) -> Any:
    if kind == "number":
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return text  # the service says it takes a number
        return number if math.isfinite(number) else text
    return text


def parse_value(text: str, operator: str, kind: str) -> Any:
    """A condition's typed text as the JSON value the rule document holds."""
    if operator == "is_empty":
        word = text.strip().lower()
        if word in ("", "true", "yes"):
            return True
        if word in ("false", "no"):
            return False
        return text
    if operator in MULTI_VALUED:
        return [_one(part.strip(), kind) for part in _SPLIT.split(text) if part.strip()]
    return _one(text.strip(), kind)


def to_rules(node: Node, fields: Mapping[str, FieldSpec]) -> dict[str, Any]:
    """The rule document of a form tree (not yet validated)."""
    if node.kind == "group":
        return {node.combinator: [to_rules(item, fields) for item in node.items]}
    spec = fields.get(node.field)
    kind = spec.kind if spec is not None else "text"
    return {
        "field": node.field,
        "operator": node.operator,
        "value": parse_value(node.value, node.operator, kind),
    }


def is_blank(node: Node) -> bool:
    """A condition whose value is still empty: untouched, so it is not yet a mistake."""
    return node.kind == "condition" and not node.value.strip() and node.operator != "is_empty"


def without_blanks(node: Node) -> Node | None:
    """The tree minus blank conditions (and groups holding only those); nodes keep their paths."""
    if node.kind == "condition":
        return None if is_blank(node) else node
    items = [kept for item in node.items if (kept := without_blanks(item)) is not None]
    if node.items and not items:
        return None
    return dataclasses.replace(node, items=items)


def has_blanks(node: Node) -> bool:
    return is_blank(node) or any(has_blanks(item) for item in node.items)


def locate(root: Node, message: str) -> Node | None:
    """The node a validation message names by its rules path (or its nearest group), if any."""
    found = _ERROR_PATH.match(message)
    if found is None:
        return None
    node = root
    for index in re.findall(r"\[(\d+)\]", found.group(1)):
        if node.kind != "group" or int(index) >= len(node.items):
            break
        node = node.items[int(index)]
    return node


def title(node: Node) -> str:
    """How the page names a node: its kind and position, as shown above it."""
    if node.path == "r":
        return "All rules"
    position = ".".join(str(index + 1) for index in _order(node.path))
    return f"{'Group' if node.kind == 'group' else 'Condition'} {position}"


_DETAIL = re.compile(r"rules(?:\.(?:and|or)\[\d+\])*(\.(?:and|or))?(?:\.(?:field|operator|value))?")
_LIST_ITEM = re.compile(r"\[(\d+)\]: ")
_OPERATOR_FIRST = re.compile(r"^(\w+) (takes|needs) ")
_NOT_APPLY = re.compile(r"'(\w+)' does not apply")
_ONE_OF = re.compile(r"use one of: ([\w, ]+)$")


def explain(node: Node, message: str, fields: Sequence[FieldSpec]) -> str:
    """The service's message worded with what the page shows: positions and labels, not paths.

    "rules.and[0].value: 'account_score' takes a number, got ''" becomes
    "Condition 1: Account score takes a number, got ''".
    """
    found = _DETAIL.match(message)
    if found is None:
        return message
    rest = message[found.end() :]
    where = title(node)
    item = _LIST_ITEM.match(rest)
    if item is not None:
        where += f", value {int(item.group(1)) + 1}"
        rest = rest[item.end() :]
    else:
        rest = rest.removeprefix(": ")
    if found.group(1) and rest.startswith("expected a non-empty list"):
        if node.path == "r":
            return "Add at least one condition to the rules"
        return f"{where} is empty: add a condition to it or remove it"
    label = {f.name: f.label for f in fields}.get(node.field)
    if node.kind == "condition" and node.field and label:
        rest = rest.replace(f"'{node.field}'", label)
    labels = OPERATOR_LABELS
    rest = _OPERATOR_FIRST.sub(
        lambda m: f"'{labels[m[1]]}' {m[2]} " if m[1] in labels else m[0], rest, count=1
    )
    rest = rest.replace("use is_empty", f"use '{labels['is_empty']}'")
    rest = _NOT_APPLY.sub(lambda m: f"'{labels.get(m[1], m[1])}' does not apply", rest)
    rest = _ONE_OF.sub(
        lambda m: "use one of: " + ", ".join(f"'{labels.get(op, op)}'" for op in m[1].split(", ")),
        rest,
    )
    return f"{where}: {rest}"
