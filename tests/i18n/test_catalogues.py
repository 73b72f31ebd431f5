"""The catalogues: complete for Spanish and German, in step with the code, and nothing shown untranslated."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.i18n.catalogues import catalogue_path, is_translated
from tests.i18n.untranslated import ROOT, all_python_findings, all_template_findings


def _ids(path: Path) -> set[object]:
    with path.open("rb") as po_file:
        return {
            message.id if isinstance(message.id, str) else tuple(message.id)
            for message in read_po(po_file)
            if message.id
        }


@pytest.mark.parametrize("locale", ["es", "de"])
def test_every_entry_is_translated_and_none_is_fuzzy(locale: str) -> None:
    with catalogue_path(locale).open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    missing = [message.id for message in catalog if message.id and not is_translated(message.string)]
    fuzzy = [message.id for message in catalog if message.id and "fuzzy" in message.flags]
    assert not missing, (
        f"{len(missing)} {locale} entries have no translation (make i18n, then translate): {missing[:10]}"
    )
    assert not fuzzy, f"{len(fuzzy)} {locale} entries are fuzzy: {fuzzy[:10]}"


def test_the_catalogues_hold_exactly_what_the_code_says(tmp_path: Path) -> None:
    """``make i18n`` was run after the last change to a translatable string."""
    template = tmp_path / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract", "--mapping-file", "babel.cfg"]
    keywords = ["--keywords", "N_", "--keywords", "pgettext:1c,2", "--keywords", "npgettext:1c,2,3"]
    subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [*command, *keywords, "--output-file", str(template), "."],
        cwd=ROOT,
        check=True,
    )
    in_code = _ids(template)
    for locale in ("en", "es", "de"):
        in_catalogue = _ids(catalogue_path(locale))
        assert in_code - in_catalogue == set(), f"{locale}: not in the catalogue yet (run make i18n)"
        assert in_catalogue - in_code == set(), f"{locale}: no longer in the code (run make i18n)"


def test_no_template_shows_english_outside_the_translation_functions() -> None:
    findings = all_template_findings()
    assert not findings, f"{len(findings)} untranslated:\n" + "\n".join(map(str, findings[:40]))


def test_no_service_message_is_english_outside_the_translation_functions() -> None:
    findings = all_python_findings()
    assert not findings, f"{len(findings)} untranslated:\n" + "\n".join(map(str, findings[:40]))


COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def test_no_function_hides_gettext_behind_a_throwaway_variable() -> None:
    """``x, _ = pair`` in a function that also says ``_("...")`` makes that call fail at run time."""

    clashes = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            nodes = list(ast.walk(function))
            # A comprehension's own variables live in its own scope: only the function's own `_` shadows gettext.
            inner = {id(node) for comp in nodes if isinstance(comp, COMPREHENSIONS) for node in ast.walk(comp)}
            assigns = any(
                isinstance(node, ast.Name)
                and node.id == "_"
                and isinstance(node.ctx, ast.Store)
                and id(node) not in inner
                for node in nodes
            )
            calls = any(
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_" for node in nodes
            )
            if assigns and calls:
                clashes.append(f"{path.relative_to(ROOT)}:{function.lineno} {function.name}")
    assert not clashes, "rename the throwaway variable (e.g. `_unused`):\n" + "\n".join(clashes)
