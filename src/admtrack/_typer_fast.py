"""Keep Pydantic out of every command's start-up (issue 13: 70-130 ms of each run).

Typer 0.29 coerces each parameter of the command being run through a Pydantic ``TypeAdapter``, built
when the command starts, so every ``admtrack`` run imports Pydantic and builds a dozen adapters, even
for options left at their defaults. Our parameters are all of a few plain kinds (text, whole and real
numbers with optional bounds, paths without checks, choices from an Enum, and lists of these): for those
this module coerces as Typer's adapters do, without Pydantic. Anything else is left to Typer, untouched.

``install()`` swaps Typer's ``build_runtime_param`` for one that tries these first. It touches a private
part of Typer; when that part is not there as expected (another Typer version), it changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, Union, get_args, get_origin

_SIMPLE = (str, int, float, bool)
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"", "0", "off", "f", "false", "n", "no"})


def install() -> None:
    try:
        from typer import _coercion, core
        from typer._click.exceptions import BadParameter
        from typer._param_types import coerce_cli_choice, coerce_cli_path
    except ImportError:
        return
    original = getattr(core, "build_runtime_param", None)
    base = getattr(_coercion, "RuntimeParam", None)
    if original is None or base is None or getattr(original, "_admtrack", False):
        return
    typers: Callable[[Any], Any] = original

    class Plain(base):  # type: ignore[misc,valid-type]
        """Coercion of a plain parameter, as Typer's adapters do it."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return _coerce(self.annotation, self.parameter_info, value, param, ctx, coerce_cli_choice,
                               coerce_cli_path)
            except ValueError as exc:
                raise BadParameter(str(exc), ctx=ctx, param=param) from None
            except (TypeError, AttributeError):  # Typer's helpers not as expected: Typer's own way, then
                return typers(self._descriptor)._coerce_value(value, param, ctx)

    def build_runtime_param(descriptor: Any) -> Any:
        if descriptor.file_annotation is None and _plain(descriptor.annotation, descriptor.parameter_info):
            plain = Plain(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
            object.__setattr__(plain, "_descriptor", descriptor)  # (a frozen dataclass)
            return plain
        return typers(descriptor)

    build_runtime_param._admtrack = True  # type: ignore[attr-defined]
    core.build_runtime_param = build_runtime_param


def _leaf(annotation: Any) -> Any:
    """``X`` of ``Optional[X]`` (Typer may hand either)."""
    if get_origin(annotation) is Union:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _plain(annotation: Any, info: Any) -> bool:
    if getattr(info, "parser", None) is not None or getattr(info, "click_type", None) is not None:
        return False
    annotation = _leaf(annotation)
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation) or (None,)
        annotation = _leaf(annotation)
    if annotation in _SIMPLE:
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return True
    if annotation is Path:  # Typer's own checks (exists, file_okay, …) are made by its ``coerce_cli_path``
        return not getattr(info, "allow_dash", False) and getattr(info, "path_type", None) in (None, Path)
    return False


def _coerce(annotation: Any, info: Any, value: Any, param: Any, ctx: Any, choice, path) -> Any:
    annotation = _leaf(annotation)
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        items = value if isinstance(value, (list, tuple)) else [value]
        return [_coerce(item, info, v, param, ctx, choice, path) for v in items]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return choice(value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx)
    if annotation is str:
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return value if isinstance(value, str) else str(value)
    if annotation is Path:
        return path(value if isinstance(value, Path) else Path(value), info, path_type=Path, param=param, ctx=ctx)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"{value!r} is not a valid boolean.")
    number = _number(annotation, value)
    low, high = info.min, info.max
    if (low is not None and number < low) or (high is not None and number > high):
        if getattr(info, "clamp", False):
            return min(max(number, low if low is not None else number), high if high is not None else number)
        raise ValueError(f"{value!r} is not in the range {_range(low, high)}.")
    return number


def _number(annotation: type, value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a valid {annotation.__name__}.")
    if isinstance(value, annotation):
        return value
    text = value.strip() if isinstance(value, str) else value
    try:
        return annotation(text)
    except (TypeError, ValueError, OverflowError):
        kind = "integer" if annotation is int else "number"
        raise ValueError(f"{value!r} is not a valid {kind}.") from None


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"{low}<=x<={high}"
    return f"x>={low}" if low is not None else f"x<={high}"
