"""Bulk writes that keep simple-history's audit rows, without its per-call overhead.

Reading `Model.history` builds a new manager class on every access; on the hot
paths (a booking writes seven history rows) that is a measurable share of the
time, so the model-level manager is built once and kept.
"""

from functools import cache


@cache
def history_manager(model):
    return model.history


def bulk_create_with_history(objects, model, *, user, batch_size=None):
    """`bulk_create` then one history row per object, authored by `user`.

    Needs a database that returns primary keys from a bulk insert (PostgreSQL,
    SQLite 3.35+), which is all this project runs on.
    """
    objects = list(objects)
    if not objects:
        return objects
    created = model._default_manager.bulk_create(objects, batch_size=batch_size)
    history_manager(model).bulk_history_create(created, batch_size=batch_size, default_user=user)
    return created


def bulk_history_update(objects, model, *, user, batch_size=None):
    """History rows ("~") for objects just changed with `bulk_update` or a raw UPDATE."""
    if objects:
        history_manager(model).bulk_history_create(objects, batch_size=batch_size, update=True, default_user=user)
