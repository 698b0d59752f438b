"""Who may read and who may act on an item: the author, the addressed level and those above it."""

import re

import pytest

from core import texts
from core.errors import NotFound, PermissionDenied
from core.feedback import service


def people(commune) -> dict:  # type: ignore[no-untyped-def]
    cell_a, cell_b = commune.cells
    return {
        "author": cell_a.members[0],
        "same cell member": cell_a.members[1],
        "secretary": cell_a.secretary,
        "deputy": cell_a.deputy,
        "sibling secretary": cell_b.secretary,
        "other cell member": cell_b.members[0],
        "committee member": commune.committee_member,
        "other province secretary": commune.other_cell.secretary,
    }


# (may read, may act) for an item a cell member sent to their own cell.
CELL_ITEM = {
    "author": (True, False),
    "same cell member": (False, False),
    "secretary": (True, True),
    "deputy": (True, True),
    "sibling secretary": (False, False),
    "other cell member": (False, False),
    "committee member": (True, True),
    "other province secretary": (False, False),
}
# The same member sent it to the commune committee: the cell does not see it.
COMMITTEE_ITEM = {
    "author": (True, False),
    "same cell member": (False, False),
    "secretary": (False, False),
    "deputy": (False, False),
    "sibling secretary": (False, False),
    "other cell member": (False, False),
    "committee member": (True, True),
    "other province secretary": (False, False),
}


@pytest.mark.parametrize("to_parent, matrix", [(False, CELL_ITEM), (True, COMMITTEE_ITEM)], ids=["to cell", "to committee"])
async def test_access_matrix(session, commune, send, actor_of, to_parent, matrix) -> None:
    who = people(commune)
    item = await send(who["author"], to_parent=to_parent)
    for name, (may_read, may_act) in matrix.items():
        actor = await actor_of(who[name])
        if may_read:
            view = await service.view_item(session, actor=actor, item_id=item.id)
            assert view.can_act == may_act, name
        else:
            with pytest.raises(NotFound, match=re.escape(texts.common.NOT_FOUND)):
                await service.view_item(session, actor=actor, item_id=item.id)
        visible = await service.list_items(session, actor=actor, scope="visible")
        assert (item.id in [s.item.id for s in visible.items]) == may_read, name
        inbox = await service.list_items(session, actor=actor, scope="inbox")
        assert item.id not in [s.item.id for s in inbox.items] or may_act, name


async def test_refused_actions_change_nothing(session, commune, send, actor_of, clock) -> None:
    who = people(commune)
    item = await send(who["author"])
    for name in ("author", "same cell member", "sibling secretary", "other cell member", "other province secretary"):
        actor = await actor_of(who[name])
        expected = PermissionDenied if name == "author" else NotFound
        for action in (
            service.reply(session, actor=actor, item_id=item.id, content=service.Content(text="x"), now=clock.now()),
            service.forward(session, actor=actor, item_id=item.id, now=clock.now()),
            service.close(session, actor=actor, item_id=item.id, now=clock.now()),
        ):
            with pytest.raises(expected):
                await action
    assert (item.state.value, item.current_org_id) == ("open", commune.cells[0].org.id)


async def test_unknown_and_unreadable_items_look_the_same(session, commune, send, actor_of) -> None:
    item = await send(commune.cells[0].members[0])
    outsider = await actor_of(commune.cells[1].secretary)
    refusals = []
    for item_id in (999_999, item.id):
        with pytest.raises(NotFound) as refusal:
            await service.view_item(session, actor=outsider, item_id=item_id)
        refusals.append((refusal.value.code, refusal.value.message))
    assert refusals[0] == refusals[1]


async def test_member_lists_never_leak_other_members_items(session, commune, send, actor_of) -> None:
    who = people(commune)
    await send(who["author"])
    await send(who["other cell member"])
    for name in ("same cell member", "other province secretary"):
        actor = await actor_of(who[name])
        for scope in ("mine", "inbox", "visible"):
            assert (await service.list_items(session, actor=actor, scope=scope)).total == 0, (name, scope)
    # Filtering by a foreign organisation shows nothing more than what one may read.
    outsider = await actor_of(who["other province secretary"])
    assert (await service.list_items(session, actor=outsider, scope="visible", org_id=commune.cells[0].org.id)).total == 0
