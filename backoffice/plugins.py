"""Hooks: how a higher app plugs into a lower app's pages without the lower app importing it.

Apps import only downwards (backoffice < fleet < sales < refunds < reporting; docs/architecture.md).
What a lower app must show or set off in a higher one, the higher app plugs in when it loads
(`AppConfig.ready`), in one of three ways:

- **Its actions, inlines and URLs on a lower app's admin**: `extend_admin` registers that admin again
  with the higher app's mixin on top. Sales puts the fare buckets, "Book on this flight", departure
  and the manifests on fleet's flight page; refunds puts "Cancel flight" there, and its refund and
  void pages on sales' booking admin.
- **Its part of a lower app's page**: the page `gather`s what each app `contribute`d under the page's
  name. The booking page (sales) shows the buttons and refund notes the refunds app contributes.
- **Events**: the lower app sends a Django signal it defines (`fleet.signals.flights_created`) and
  the higher app connects to it.
"""

from collections import defaultdict

_parts = defaultdict(list)


def contribute(page, part):
    """Add `part` (a callable) to what `page` gathers; any number of apps may contribute."""
    _parts[page].append(part)


def gather(page, *args, **kwargs):
    """What every contributing app gives for `page`, called with these arguments, in the order apps loaded."""
    return [part(*args, **kwargs) for part in _parts[page]]


def extend_admin(model, mixin, *, first_actions=(), last_actions=(), inlines=(), site=None):
    """Register `model`'s admin again with `mixin` on top.

    `first_actions` / `last_actions` are the mixin's detail actions (unfold `actions_detail`), put
    before / after those already there; `inlines` come after the admin's own. Called from
    `AppConfig.ready`, when every app's admin module is loaded and before the URLs are built.
    """
    if site is None:
        from django.contrib import admin

        site = admin.site
    base = type(site._registry[model])
    attrs = {
        "__module__": mixin.__module__,
        "actions_detail": [*first_actions, *base.actions_detail, *last_actions],
        "inlines": [*base.inlines, *inlines],
    }
    site.unregister(model)
    site.register(model, type(base.__name__, (mixin, base), attrs))
