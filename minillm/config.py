"""Stage settings as dataclasses whose fields are also command-line flags.

A foundation of the package (it imports nothing else of minillm). A field made with `setting(default, help)`
carries its --help text; `add_config_flags` turns every field of a config class into a flag, and
`config_from_args` applies the flags the user gave on top of a preset.
"""

import argparse
import dataclasses
import typing


def setting(default, help: str):
    """A config field with its --help text next to it."""
    return dataclasses.field(default=default, metadata={"help": help})


def field_type(f: dataclasses.Field) -> type:
    """The field's type, `int | None` read as int."""
    return f.type if isinstance(f.type, type) else next(t for t in typing.get_args(f.type) if t is not type(None))


def add_config_flags(parser: argparse.ArgumentParser, config_class, title: str) -> None:
    """One flag per field (`max_steps` -> --max-steps); booleans get --flag / --no-flag."""
    group = parser.add_argument_group(title)
    for f in dataclasses.fields(config_class):
        flag, kind = "--" + f.name.replace("_", "-"), field_type(f)
        if kind is bool:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=f.metadata["help"])
        else:
            group.add_argument(flag, type=kind, default=None, metavar=kind.__name__.upper(), help=f.metadata["help"])


def config_from_args(args, preset):
    """A copy of the preset's config with every flag the user gave applied."""
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(preset)
                 if getattr(args, f.name, None) is not None}
    return dataclasses.replace(preset, **overrides)
