"""Rules a higher app plugs in for a lower app's pages to ask.

An app never imports the apps above it (STYLE.md), yet the flight page must know
whether the refunds app lets a flight be cancelled, and the booking page whether a
ticket may be refunded. The higher app provides its rule when it loads
(`AppConfig.ready`); the page asks for it by name and gets `default` when no app
provides it.
"""

_rules = {}


def provide(name, rule):
    _rules[name] = rule


def ask(name, *args, default=False, **kwargs):
    rule = _rules.get(name)
    return default if rule is None else rule(*args, **kwargs)
