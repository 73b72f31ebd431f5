"""Finds user-visible English that does not pass through the translation functions.

Templates: text between tags, the visible attributes (placeholder, title, alt, aria-label, hx-confirm, ...) and
string literals inside ``{{ }}``/``{% %}`` that read as words (a macro's label argument), outside ``_()``,
``ngettext()``, ``pgettext()`` and ``{% trans %}`` blocks. Python (``app/``): string literals that read as prose
(two words or more), outside docstrings, the translation functions, log calls, exceptions meant for developers
(``ValueError``, ``RuntimeError``, ...), OpenAPI texts (``description=``, ``summary=``) and SQL.

Text that is not language (a sample, a code, the product's name) opts out where it stands: ``{# i18n: ignore #}``
on the template line, ``# i18n: ignore`` on the Python line.
"""

import ast
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import i18n as jinja_i18n

ROOT = Path(__file__).resolve().parents[2]
TRANSLATING = frozenset({"_", "gettext", "ngettext", "pgettext", "npgettext", "N_", "lazy_gettext"})
VISIBLE_ATTRIBUTES = frozenset(
    {
        "placeholder",
        "title",
        "alt",
        "aria-label",
        "aria-description",
        "aria-roledescription",
        "aria-valuetext",
        "hx-confirm",
        "hx-prompt",
        "data-confirm",
        "label",
    }
)
IGNORE_MARK = "i18n: ignore"
WORD = re.compile(r"[^\W\d_]{2,}")
# A Jinja literal that is a label: a capitalised word ("Name"), or words with spaces ("Name to show").
LABEL_LITERAL = re.compile(r"^(?:[A-Z][a-z]+\b.*|.*[^\W\d_]{2,}\s+[^\W\d_]{2,}.*)$", re.DOTALL)
# Not language: paths, addresses, identifiers, CSS, format codes.
NOT_LANGUAGE = re.compile(
    r"^\s*(?:[/#.]|https?:|mailto:|[\w.\-]+@|\{|\[|(?:attachment|inline); filename=|[a-z]+/[\w.+-]+(?:;|$)"
    r"|(?:PRAGMA|SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|WITH) )"
)


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def reads_as_words(text: str) -> bool:
    return bool(WORD.search(text))


def reads_as_prose(text: str) -> bool:
    """Two words or more of letters: a sentence or a label, not an identifier."""
    return len(WORD.findall(text)) >= 2 and " " in text.strip() and not NOT_LANGUAGE.match(text)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skipping: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._skipping = tag
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and reads_as_words(value.replace("\x00", " ")):
                self.found.append((self.getpos()[0], f"{name}={value}"))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._skipping:
            self._skipping = None

    def handle_data(self, data: str) -> None:
        if self._skipping is None and reads_as_words(data.replace("\x00", " ")):
            self.found.append((self.getpos()[0], data))


def template_findings(path: Path, environment: Environment) -> list[Finding]:
    source = path.read_text(encoding="utf-8")
    ignored_lines = {number for number, line in enumerate(source.splitlines(), 1) if IGNORE_MARK in line}
    relative = str(path.relative_to(ROOT))
    findings: list[Finding] = []
    rebuilt: list[str] = []  # the template's text, each Jinja construct one placeholder (NUL), trans blocks gone
    rebuilt_lines = 1
    in_trans = False
    call_depths: list[int] = []  # paren depths of open translation calls
    depth = 0
    tokens = list(environment.lexer.wrap(environment.lexer.tokeniter(source, path.name)))
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        if token.type == "name" and token.value == "trans" and previous is not None and previous.type == "block_begin":
            in_trans = True
        elif token.type == "name" and token.value == "endtrans":
            in_trans = False
        if token.lineno > rebuilt_lines:  # keep the lines of the rebuilt text the source's
            rebuilt.append("\n" * (token.lineno - rebuilt_lines))
            rebuilt_lines = token.lineno
        if token.type == "data" and not in_trans:
            rebuilt.append(token.value)
            rebuilt_lines += token.value.count("\n")
        elif token.type in {"variable_begin", "block_begin"} and not in_trans:
            rebuilt.append("\x00")
        elif token.type == "lparen":
            depth += 1
            if previous is not None and previous.type == "name" and previous.value in TRANSLATING:
                call_depths.append(depth)
        elif token.type == "rparen":
            if call_depths and call_depths[-1] == depth:
                call_depths.pop()
            depth -= 1
        elif token.type == "string":
            inside_call = bool(call_depths) and call_depths[-1] == depth
            following = tokens[index + 1].type if index + 1 < len(tokens) else ""
            is_key_or_test = following == "colon" or (previous is not None and previous.type in {"eq", "ne"})
            if (
                not inside_call
                and not in_trans
                and not is_key_or_test
                and LABEL_LITERAL.match(token.value)
                and not NOT_LANGUAGE.match(token.value)
                and token.lineno not in ignored_lines
            ):
                findings.append(Finding(relative, token.lineno, token.value))
    collector = _TextCollector()
    text = "".join(rebuilt)
    collector.feed(text)
    collector.close()
    for start_line, found in collector.found:
        first_word = WORD.search(found)
        line = start_line + found[: first_word.start() if first_word else 0].count("\n")
        if line not in ignored_lines:
            findings.append(Finding(relative, line, found.strip(" \n\x00").replace("\x00", "{{…}}")))
    return findings


def _jinja_environment() -> Environment:
    return Environment(extensions=[jinja_i18n], autoescape=True)


def all_template_findings() -> list[Finding]:
    environment = _jinja_environment()
    findings: list[Finding] = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted((ROOT / "templates").rglob("*.txt")):
        findings.extend(template_findings(path, environment))
    return findings


DEVELOPER_EXCEPTIONS = frozenset(
    {
        "ValueError",
        "TypeError",
        "KeyError",
        "RuntimeError",
        "AssertionError",
        "NotImplementedError",
        "LookupError",
        "ConfigurationError",
        "UnmigratedDatabase",
        "InvalidKey",
        "NotStored",
        "MoneyError",
        "OSError",
        "SystemExit",
        "Exit",
        "BadParameter",
    }
)
DOCUMENTATION_KEYWORDS = frozenset(
    {"description", "summary", "response_description", "help", "title", "pattern", "examples", "alias"}
)
NOT_TRANSLATED_FILES = ("app/cli.py", "app/generate.py", "app/i18n/")


def _name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


class _PythonScanner(ast.NodeVisitor):
    def __init__(self, relative: str, ignored_lines: set[int]) -> None:
        self.relative = relative
        self.ignored_lines = ignored_lines
        self.findings: list[Finding] = []

    def _skip_docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", [])
        for index, statement in enumerate(body):
            if (
                index == 0
                and isinstance(statement, ast.Expr)
                and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)
            ):
                continue
            self.visit(statement)
        for field in ("decorator_list", "args", "returns", "bases", "keywords"):
            value = getattr(node, field, None)
            if isinstance(value, list):
                for item in value:
                    self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    visit_Module = visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _skip_docstring

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            return  # a bare string: a comment-like note
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        if isinstance(node.exc, ast.Call) and _name_of(node.exc.func) in DEVELOPER_EXCEPTIONS:
            return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _name_of(node.func)
        if name in TRANSLATING:
            return
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if owner is not None and _name_of(owner) in {"logger", "logging", "log", "warnings"}:
            return
        if name in DEVELOPER_EXCEPTIONS or name in {"text", "exec_driver_sql", "getLogger", "compile", "warn"}:
            return
        self.visit(node.func)
        for argument in node.args:
            self.visit(argument)
        for keyword in node.keywords:
            if keyword.arg not in DOCUMENTATION_KEYWORDS:
                self.visit(keyword.value)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and reads_as_prose(node.value) and node.lineno not in self.ignored_lines:
            self.findings.append(Finding(self.relative, node.lineno, node.value))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        literal = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
        if reads_as_prose(literal) and node.lineno not in self.ignored_lines:
            self.findings.append(Finding(self.relative, node.lineno, literal))
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                self.visit(part.value)


def python_findings(path: Path) -> list[Finding]:
    source = path.read_text(encoding="utf-8")
    ignored_lines = {number for number, line in enumerate(source.splitlines(), 1) if IGNORE_MARK in line}
    scanner = _PythonScanner(str(path.relative_to(ROOT)), ignored_lines)
    scanner.visit(ast.parse(source))
    return scanner.findings


def all_python_findings() -> list[Finding]:
    findings: list[Finding] = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative.startswith(NOT_TRANSLATED_FILES) or "/migrations/" in relative:
            continue
        findings.extend(python_findings(path))
    return findings


if __name__ == "__main__":
    import sys
    from collections import Counter

    found = all_template_findings() + all_python_findings()
    prefix = sys.argv[1] if len(sys.argv) > 1 else ""
    shown = [finding for finding in found if finding.path.startswith(prefix)]
    for finding in shown:
        print(finding)
    counts = Counter(finding.path.split("/")[1] for finding in shown)
    print(f"{len(shown)} untranslated:", dict(counts.most_common()))
