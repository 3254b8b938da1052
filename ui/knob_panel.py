"""How a knob table works: a `Knob` (one setting) and a `Panel` (a page's knobs bound to its configs).

A `Knob` names a config field, its widget, bounds or options, label and help. A `Panel` binds a
page's knobs to its config dataclasses (each with a URL prefix and the page's defaults); from it
come the widgets' first values (from the link), the configs the page trains with, the link that
reproduces them, and the one policy for bad link values: the nearest valid value is used, and a
single sentence says what changed. The table itself is `ui/knobs.py`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional
from urllib.parse import urlencode

import streamlit as st

from explorer.nn import config


@dataclass(frozen=True)
class Knob:
    """One setting: the config `field` it sets, and how a person sets it.

    widget: number | slider | select | select_slider | radio | checkbox | multiselect.
    options: the choices (select, radio, select_slider, multiselect); for a checkbox on a number
    field, the (off, on) values. lo, hi, step: the range of a number or slider.
    """

    field: str
    label: str
    widget: str = "number"
    options: tuple = ()
    lo: Any = None
    hi: Any = None
    step: Any = None
    help: Optional[str] = None
    labels: Optional[Mapping] = None  # option → the words shown for it
    number_format: Optional[str] = None
    horizontal: bool = False

    def at(self, **changes) -> "Knob":
        """This knob with other bounds, options or words (a page's narrower version)."""
        return dataclasses.replace(self, **changes)

    def valid(self, value: Any, default: Any) -> Any:
        """The nearest value the widget offers: numbers clamped or snapped, unknown choices → `default`."""
        if self.widget == "multiselect":
            kept = [v for v in str(value).split(",") if v in self.options]
            return ",".join(kept) if kept else default
        if self.widget == "checkbox" and not self.options:
            return bool(value)
        if self.options:
            if value in self.options:
                return value
            try:
                return min(self.options, key=lambda o: abs(float(o) - float(value)))
            except (TypeError, ValueError):
                return default
        if self.lo is not None:
            return type(self.lo)(min(max(value, self.lo), self.hi))
        return value

    def to_widget(self, value: Any) -> Any:
        if self.widget == "multiselect":
            return [v for v in str(value).split(",") if v]
        if self.widget == "checkbox" and self.options:
            return value == self.options[1]
        return value

    def from_widget(self, value: Any) -> Any:
        if self.widget == "multiselect":
            return ",".join(value)
        if self.widget == "checkbox" and self.options:
            return self.options[1] if value else self.options[0]
        return value

    def show(self, where: Any, key: str, disabled: bool = False) -> Any:
        """Draw the widget in `where` (st, st.sidebar or a column); its state lives under `key`."""
        common = {"key": key, "help": self.help, "disabled": disabled}
        fmt = (lambda v: self.labels.get(v, _short(v))) if self.labels else None
        if self.widget == "number":
            return where.number_input(self.label, self.lo, self.hi, step=self.step, format=self.number_format, **common)
        if self.widget == "slider":
            return where.slider(self.label, self.lo, self.hi, step=self.step, **common)
        if self.widget == "checkbox":
            return where.checkbox(self.label, **common)
        if self.widget == "select":
            return where.selectbox(self.label, self.options, format_func=fmt or str, **common)
        if self.widget == "radio":
            return where.radio(self.label, self.options, format_func=fmt or str, horizontal=self.horizontal, **common)
        if self.widget == "select_slider":
            return where.select_slider(self.label, self.options, format_func=fmt or _short, **common)
        if self.widget == "multiselect":
            return where.multiselect(self.label, self.options, **common)
        raise ValueError(f"unknown widget {self.widget!r}")


def _short(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else (f"{value:,}" if isinstance(value, int) else str(value))


@dataclass(frozen=True)
class Part:
    """One config dataclass of a page: its URL prefix, the page's default, and its knobs.

    only_knobs: the link reads and writes only the knobs' fields (the rest stay the page's: a lab set-up has
    no layers). aliases: old URL names (after the prefix) → field, so links written before a rename still open."""

    prefix: str
    default: Any
    knobs: tuple[Knob, ...] = ()
    only_knobs: bool = False
    aliases: Mapping[str, str] = field(default_factory=dict)

    def params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The link's params as this part reads them: old names under their field's key, others left out."""
        out = dict(params)
        for old, new in self.aliases.items():
            if self.prefix + old in out:
                value = out.pop(self.prefix + old)
                out.setdefault(self.prefix + new, value)
        if self.only_knobs:
            keys = {self.prefix + k.field for k in self.knobs}
            out = {k: v for k, v in out.items() if k in keys}
        return out

    def query(self, cfg: Any) -> dict[str, str]:
        """`config.to_query` of `cfg`, only the knobs' fields where `only_knobs`."""
        out = config.to_query(cfg, self.prefix)
        return self.params(out) if self.only_knobs else out


@dataclass(frozen=True)
class Panel:
    """A page's settings: its parts, keyed by name; widget keys are `widget_prefix` + the URL key."""

    name: str
    parts: Mapping[str, Part]
    widget_prefix: str = ""
    extra_url_keys: tuple[str, ...] = ()  # other URL keys the page owns (e.g. the answering model)
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for part, p in self.parts.items():
            for knob in p.knobs:
                if p.prefix + knob.field in self._index:  # parts may share a prefix, never a key
                    raise ValueError(f"two knobs of {self.name!r} have the URL key {p.prefix + knob.field!r}")
                self._index[p.prefix + knob.field] = (part, knob)

    # ------------------------------------------------------------ keys and state
    def key(self, url_key: str, state: Any = None) -> str:
        """The widget key of the knob whose URL key is `url_key` (e.g. "m_units"; "m_units~2" after two presets).

        A preset gives every knob a new key (`apply`), the documented way to set widgets anew: a click
        the browser sends before it has drawn the preset's values (Train pressed at once) still carries
        the old values, under the old keys, where no widget reads them. `state`: another session state
        than this session's (a test's)."""
        state = st.session_state if state is None else state
        generation = state[self._generation_key] if self._generation_key in state else 0
        return self.widget_prefix + url_key + (f"~{generation}" if generation else "")

    @property
    def _generation_key(self) -> str:
        return f"{self.name}__generation"

    @property
    def _base_key(self) -> str:
        return f"{self.name}__configs"

    def _base(self) -> dict[str, Any]:
        return st.session_state[self._base_key]

    def start(self, notes_where: Any = st) -> None:
        """Every run: on the session's first, fill every widget from the link (bad values made valid, and
        said so in one sentence); later, put back the state of any widget Streamlit dropped."""
        ss = st.session_state
        if self._base_key not in ss:
            link = st.query_params.to_dict()
            base, changed = {}, []
            for name, p in self.parts.items():
                params = p.params(link)
                cfg = config.from_query(type(p.default), params, p.prefix, p.default)
                fixes = {}
                for knob in p.knobs:
                    url_key = p.prefix + knob.field
                    read, default = getattr(cfg, knob.field), getattr(p.default, knob.field)
                    value = knob.valid(read, default)
                    if url_key in params and not _same(params[url_key], value):
                        changed.append(f"{knob.label} {params[url_key]} → {value:g}" if isinstance(value, float)
                                       else f"{knob.label} {params[url_key]} → {value}")
                    fixes[knob.field] = value
                base[name] = dataclasses.replace(cfg, **fixes)
            ss[self._base_key] = base
            if changed:
                notes_where.warning("The link asked for values this page does not offer, so the nearest valid "
                                    "ones are used: " + "; ".join(changed) + ".", icon="🔗")
        for url_key, (part, knob) in self._index.items():
            if self.key(url_key) not in ss:
                ss[self.key(url_key)] = knob.to_widget(getattr(self._base()[part], knob.field))

    def show(self, url_key: str, where: Any = st, disabled: bool = False) -> Any:
        """Draw the knob with URL key `url_key`; returns its config value."""
        knob = self._index[url_key][1]
        knob.show(where, self.key(url_key), disabled)
        return knob.from_widget(st.session_state[self.key(url_key)])

    def value(self, url_key: str) -> Any:
        """The knob's current config value (drawn or not)."""
        return self._index[url_key][1].from_widget(st.session_state[self.key(url_key)])

    def configs(self) -> dict[str, Any]:
        """Every part's config: the link's (or default) fields, with each knob's current value."""
        base = self._base()
        for name, p in self.parts.items():
            base[name] = dataclasses.replace(base[name], **{k.field: self.value(p.prefix + k.field) for k in p.knobs})
        return dict(base)

    def apply(self, cfgs: Mapping[str, Any]) -> None:
        """Show `cfgs` (a preset) in every knob of the parts given; a button's on_click.

        Every knob gets a new widget key (`key`), filled with its current value or the preset's."""
        ss = st.session_state
        current = {url_key: ss[self.key(url_key)] for url_key in self._index if self.key(url_key) in ss}
        ss[self._generation_key] = ss.get(self._generation_key, 0) + 1
        for url_key, value in current.items():
            ss[self.key(url_key)] = value
        for name, cfg in cfgs.items():
            p = self.parts[name]
            self._base()[name] = cfg
            for knob in p.knobs:
                value = knob.valid(getattr(cfg, knob.field), getattr(p.default, knob.field))
                st.session_state[self.key(p.prefix + knob.field)] = knob.to_widget(value)

    # ------------------------------------------------------------ the link
    def query(self, cfgs: Mapping[str, Any]) -> dict[str, str]:
        """URL params of every field that differs from the page's default."""
        out: dict[str, str] = {}
        for name, p in self.parts.items():
            now, was = p.query(cfgs[name]), p.query(p.default)
            out.update({k: v for k, v in now.items() if was.get(k) != v})
            plain = type(p.default)()
            out.update({k: str(getattr(plain, k[len(p.prefix):])) for k in was if k not in now})  # class default
        return out

    def link(self, cfgs: Mapping[str, Any], extra: Optional[Mapping[str, str]] = None) -> str:
        """The query string that reproduces `cfgs` on this page."""
        wanted = {**self.query(cfgs), **(extra or {})}
        return "?" + urlencode(wanted) if wanted else "(the defaults: no parameters)"

    def sync_url(self, cfgs: Mapping[str, Any], extra: Optional[Mapping[str, str]] = None) -> str:
        """Write the set-up into the page's URL (only this page's keys change) and return it as a query string."""
        wanted = {**self.query(cfgs), **(extra or {})}
        prefixes = tuple({p.prefix for p in self.parts.values()})
        ours = {k: v for k, v in st.query_params.to_dict().items() if k.startswith(prefixes) or k in self.extra_url_keys}
        if ours != wanted:
            for k in ours:
                if k not in wanted:
                    del st.query_params[k]
            st.query_params.update(wanted)
        return self.link(cfgs, extra)


def _same(raw: Any, value: Any) -> bool:
    """Whether a link's text `raw` means `value` ("0.001" and 1e-3, "true" and True)."""
    if str(raw).lower() == str(value).lower():
        return True
    try:
        return float(raw) == float(value)
    except (TypeError, ValueError):
        return False
