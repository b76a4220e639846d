"""Read the disclosure template definitions kept in the repository (disclosure/template_data)."""

from pathlib import Path

import yaml
from django.core.exceptions import ValidationError

from disclosure import services

TEMPLATE_DIR = Path(__file__).resolve().parent / "template_data"


def read_definition(path: Path) -> dict:
    """A template definition file as data; a file that is not a YAML mapping is refused."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationError({"definition": f"{path.name}: not readable YAML: {exc}"}) from exc
    if not isinstance(data, dict):
        raise ValidationError({"definition": f"{path.name}: a template is a YAML mapping."})
    return data


def load_templates(*, actor=None, directory: Path = TEMPLATE_DIR) -> list[tuple]:
    """Load every definition of the directory (sorted by name, so versions load in order);
    returns [(template, created)]. All or nothing: one bad file loads none."""
    return [services.template_load(actor=actor, definition=read_definition(path),
                                   source_file=path.name)
            for path in sorted(directory.glob("*.yaml"))]
