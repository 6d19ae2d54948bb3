"""House rules of the layout: the host imports no plugin; a plugin uses another only through its public ``api``
module (and the signals in lms/signals.py), never through its models or other internals."""
from __future__ import annotations

import ast
from importlib.metadata import entry_points
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = sorted({ep.value.partition(":")[0].partition(".")[0] for ep in entry_points(group="lms.plugins")})


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, ``importlib.import_module("...")`` with a literal included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def _offences(package: str) -> list[str]:
    offences = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in _imports(path):
            top, _, rest = module.partition(".")
            if top not in PLUGINS or top == package:
                continue
            if package == "lms":
                offences.append(f"{path.relative_to(ROOT)}:{line}: the host imports plugin module {module}")
            elif rest.partition(".")[0] != "api":
                offences.append(f"{path.relative_to(ROOT)}:{line}: {module} is not part of {top}'s public api")
    return offences


def test_the_plugins_are_known():
    assert {"courses", "tracking", "comms", "governance"} <= set(PLUGINS)


def test_the_host_imports_no_plugin():
    assert _offences("lms") == []


def test_plugins_use_each_other_only_through_their_api_modules():
    assert [offence for package in PLUGINS for offence in _offences(package)] == []


def test_the_rule_catches_a_plugin_that_imports_another_plugins_models(tmp_path, monkeypatch):
    package = tmp_path / "comms"
    package.mkdir()
    (package / "bad.py").write_text("from courses.models import Enrolment\nfrom courses.api import catalogue\n")
    monkeypatch.setattr("tests.test_architecture.ROOT", tmp_path)
    assert _offences("comms") == ["comms/bad.py:1: courses.models.Enrolment is not part of courses's public api"]


def _button_only_forms_and_int_coercers(package: str) -> list[str]:
    """Forms that carry nothing but a CSRF token (and maybe a submit button), and copies of ``optional_int``."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.FunctionDef) and node.name.lstrip("_") == "optional_int":
                found.append(f"{where}: def {node.name}")
            if isinstance(node, ast.ClassDef) and any(getattr(base, "id", None) == "FlaskForm" for base in node.bases):
                fields = [s for s in node.body if not isinstance(s, (ast.Pass, ast.Expr, ast.ClassDef))]
                if all(isinstance(s, ast.Assign) and getattr(s.value, "func", None) is not None
                       and getattr(s.value.func, "id", None) == "SubmitField" for s in fields):
                    found.append(f"{where}: class {node.name}")
    return found


# Button-only forms that render_form() draws with their own button label, so the form is where the label lives.
LABELLED_BUTTONS = {"lms/auth/forms.py: class SignInLinkForm", "courses/forms.py: class ResetAttemptForm"}


def test_one_button_only_form_and_one_optional_int_serve_every_package():
    found = [item for package in ["lms", *PLUGINS] for item in _button_only_forms_and_int_coercers(package)]
    shared = [item for item in found if item.startswith("lms/admin/forms.py:")]
    others = {item.split(":", 1)[0] + ": " + item.split(": ", 1)[1] for item in found if item not in shared}
    assert [item.split(": ", 1)[1] for item in shared] == ["def optional_int", "class ConfirmForm"]
    assert others == LABELLED_BUTTONS
