"""Random people of two workspaces send random operations: nothing leaks, nothing moves.

Hypothesis writes sequences of creates and updates through the API (with JWTs) and the
task page, by users of workspace A, of B, and one member of both, with extra fields
(`workspace`, `organizer`, `assignee`, `meeting`, `created_by`, `id`) pointing anywhere.
After every step: each row is still in the workspace it was created in, a task's
meeting and assignee are in the task's workspace, and an object in a workspace the user
is not in answered 404 and never a success.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from meetings.models import Meeting, Participant, Task
from tests.api.helpers import client_for
from tests.factories import (
    MeetingFactory,
    MembershipFactory,
    ParticipantFactory,
    SegmentFactory,
    TaskFactory,
    UserFactory,
    WorkspaceFactory,
)
from transcription.models import Segment
from workspaces.models import Membership, Role

FUZZ = hsettings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MEMBERSHIPS = {  # user -> {workspace: role}
    "a_owner": {"A": Role.OWNER},
    "a_member": {"A": Role.MEMBER},
    "a_viewer": {"A": Role.VIEWER},
    "b_owner": {"B": Role.OWNER},
    "b_member": {"B": Role.MEMBER},
    "both": {"A": Role.MEMBER, "B": Role.ADMIN},
}
USERS = list(MEMBERSHIPS)


@dataclass
class World:
    users: dict[str, Any]
    workspaces: dict[str, Any]
    # ids of what exists, to pick from (picked by index, so any id can meet any path)
    meetings: list[int]
    tasks: list[int]
    segments: list[int]
    participants: list[int]
    memberships: list[int]
    api: dict[str, APIClient]


def build_world() -> World:
    workspaces = {"A": WorkspaceFactory(), "B": WorkspaceFactory()}
    users = {name: UserFactory() for name in USERS}
    for name, roles in MEMBERSHIPS.items():
        for key, role in roles.items():
            MembershipFactory(workspace=workspaces[key], user=users[name], role=role)
    world = World(users, workspaces, [], [], [], [], [], {n: client_for(u) for n, u in users.items()})
    for key, organizer in (("A", "a_owner"), ("B", "b_owner")):
        meeting = MeetingFactory(workspace=workspaces[key], organizer=users[organizer], status=Meeting.Status.READY)
        participant = ParticipantFactory(meeting=meeting, user=users[organizer])
        world.meetings.append(meeting.id)
        world.participants.append(participant.id)
        world.segments.append(SegmentFactory(meeting=meeting, participant=participant).id)
        world.tasks.append(TaskFactory(meeting=meeting, assignee=users[organizer], created_by=users[organizer]).id)
    world.memberships = list(Membership.objects.order_by("id").values_list("id", flat=True))
    return world


# --- Operations -----------------------------------------------------------------------

user_key = st.sampled_from(USERS)
user_ref = user_key.map(lambda k: ("user", k))
workspace_key = st.sampled_from(["A", "B"])
index = st.integers(0, 5)  # picked modulo the list: any id can meet any path
meeting_ref = index.map(lambda i: ("meeting", i))
# Half the time a body also carries every field a client must not be able to set.
extras = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {
            "workspace": workspace_key.map(lambda k: ("workspace", k)),
            "organizer": user_ref,
            "meeting": meeting_ref,
            "created_by": user_ref,
            "id": meeting_ref,
            "participant": index,
        }
    ),
)
# The fields an operation honours are always there, mostly valid.
assignee = st.sampled_from([None, None, *USERS]).map(lambda k: k and ("user", k))
task_status = st.sampled_from(["done", "open", "in_progress", "nonsense"])
with_assignee = st.builds(lambda e, a, s: {**e, "assignee": a, "status": s}, extras, assignee, task_status)
with_organizer = st.builds(lambda e, o: {**e, "organizer": o}, extras, user_ref)
with_meeting = st.builds(lambda e, m: {**e, "meeting": m}, with_assignee, st.one_of(st.none(), meeting_ref))
with_role = st.builds(lambda e, r: {**e, "role": r}, extras, st.sampled_from([*Role.values, "root"]))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("create_meeting"), user_key, workspace_key, with_organizer),
        st.tuples(st.just("update_meeting"), user_key, index, with_organizer),
        st.tuples(st.just("update_meeting"), st.sampled_from(["a_owner", "both", "b_owner"]), index, with_organizer),
        st.tuples(st.just("create_task"), user_key, st.sampled_from(["A", "B", None]), with_meeting),
        st.tuples(st.just("update_task"), user_key, index, with_assignee),
        st.tuples(st.just("update_task"), st.sampled_from(["a_owner", "both", "b_owner"]), index, with_assignee),
        st.tuples(st.just("page_task_edit"), user_key, index, with_assignee),
        st.tuples(st.just("edit_segment"), user_key, st.tuples(index, index), extras),
        st.tuples(st.just("rename_participant"), user_key, st.tuples(index, index), extras),
        st.tuples(st.just("change_role"), user_key, st.tuples(workspace_key, index), with_role),
        st.tuples(st.just("read"), user_key, st.sampled_from(["meeting", "task", "summary", "segments"]), index),
    ),
    min_size=3,
    max_size=10,
)


def pick(items: list[int], i: int) -> int:
    return items[i % len(items)]


def resolve(world: World, extra: dict[str, Any]) -> dict[str, Any]:
    """The extra fields with references turned into ids."""
    values: dict[str, Any] = {}
    for name, value in extra.items():
        if isinstance(value, tuple):
            kind, ref = value
            value = {
                "workspace": lambda r: world.workspaces[r].id,
                "user": lambda r: world.users[r].id,
                "meeting": lambda r: pick(world.meetings, r),
            }[kind](ref)
        values[name] = value
    return values


def workspaces_of(user: Any) -> set[int]:
    return set(Membership.objects.filter(user=user).values_list("workspace_id", flat=True))


def run(world: World, op: tuple[Any, ...], page: Client) -> None:
    kind, who, target, extra = op
    user, api = world.users[who], world.api[who]
    mine = workspaces_of(user)
    fields = resolve(world, extra) if isinstance(extra, dict) else {}
    if kind == "read":
        meeting = pick(world.meetings, extra)
        url = {
            "meeting": f"/api/v1/meetings/{meeting}/",
            "task": f"/api/v1/tasks/{pick(world.tasks, extra)}/",
            "summary": f"/api/v1/meetings/{meeting}/export/summary.md",
            "segments": f"/api/v1/meetings/{meeting}/segments/",
        }[target]
        scope = Task.objects.get(pk=pick(world.tasks, extra)).workspace_id if target == "task" else _ws(meeting)
        _expect(api.get(url), scope in mine, url)
        return
    if kind == "create_meeting":
        body = {"title": "new", "workspace": world.workspaces[target].id, **fields}
        response = api.post("/api/v1/meetings/", body, format="json")
        assert response.status_code < 500
        if response.status_code == 201:
            created = Meeting.objects.get(pk=response.json()["id"])
            assert created.workspace_id in mine and created.workspace_id == body["workspace"]
            assert created.organizer_id == user.id, "the organizer is whoever creates it"
            world.meetings.append(created.id)
        else:
            assert body["workspace"] not in mine or response.status_code in (400, 403), response.content
        return
    if kind == "create_task":
        body = {"title": "new", **({"workspace": world.workspaces[target].id} if target else {}), **fields}
        response = api.post("/api/v1/tasks/", body, format="json")
        assert response.status_code < 500, response.content
        if response.status_code == 201:
            created = Task.objects.get(pk=response.json()["id"])
            assert created.workspace_id in mine and created.created_by_id == user.id
            world.tasks.append(created.id)
        return
    if kind in ("update_meeting", "update_task", "page_task_edit"):
        if kind == "update_meeting":
            obj_id = pick(world.meetings, target)
            url, scope = f"/api/v1/meetings/{obj_id}/", _ws(obj_id)
        else:
            obj_id = pick(world.tasks, target)
            scope = Task.objects.get(pk=obj_id).workspace_id
            url = f"/api/v1/tasks/{obj_id}/" if kind == "update_task" else f"/tasks/{obj_id}/"
        body = {"title": "renamed", **fields}
        if kind == "page_task_edit":
            page.force_login(user)
            form = {k: ("" if v is None else v) for k, v in {"status": "done", **fields}.items()}
            response = page.post(url, form, HTTP_HX_REQUEST="true")
        else:
            response = api.patch(url, body, format="json")
        _expect(response, scope in mine, url)
        return
    if kind in ("edit_segment", "rename_participant"):
        meeting = pick(world.meetings, target[0])
        if kind == "edit_segment":
            child = Segment.objects.get(pk=pick(world.segments, target[1]))
            url, body = f"/api/v1/meetings/{meeting}/segments/{child.id}/", {"text": "changed", **fields}
        else:
            child = Participant.objects.get(pk=pick(world.participants, target[1]))
            url, body = f"/api/v1/meetings/{meeting}/participants/{child.id}/", {"name": "Renamed", **fields}
        response = api.patch(url, body, format="json")
        _expect(response, _ws(meeting) in mine, url, child=child.meeting_id == meeting)
        return
    key, i = target  # change_role
    workspace = world.workspaces[key].id
    membership = Membership.objects.get(pk=pick(world.memberships, i))
    body = fields
    response = api.patch(f"/api/v1/workspaces/{workspace}/members/{membership.id}/", body, format="json")
    _expect(response, workspace in mine, "role change", child=membership.workspace_id == workspace)


def _ws(meeting_id: int) -> int:
    return Meeting.objects.values_list("workspace_id", flat=True).get(pk=meeting_id)


def _expect(response: Any, reachable: bool, where: str, *, child: bool = True) -> None:
    """Another workspace's object is 404. A child from elsewhere under a parent the user
    can reach may also meet the parent's role check first (403): never a success."""
    status = response.status_code
    assert status < 500, (where, status)
    if not reachable:
        assert status == 404, f"{where}: {status}, expected 404"
    elif not child:
        assert status in (403, 404), f"{where}: {status}, expected 403 or 404"


# --- Invariants -----------------------------------------------------------------------


def snapshot() -> dict[str, dict[int, Any]]:
    return {
        "meetings": dict(Meeting.objects.values_list("id", "workspace_id")),
        "organizers": dict(Meeting.objects.values_list("id", "organizer_id")),
        "tasks": dict(Task.objects.values_list("id", "workspace_id")),
        "creators": dict(Task.objects.values_list("id", "created_by_id")),
        "segments": dict(Segment.objects.values_list("id", "meeting_id")),
        "participants": dict(Participant.objects.values_list("id", "meeting_id")),
        "memberships": dict(Membership.objects.values_list("id", "workspace_id")),
    }


def check_invariants(before: dict[str, dict[int, Any]]) -> dict[str, dict[int, Any]]:
    """Check the rows against `before`; return the new state, the next step's `before`."""
    after = snapshot()
    for kind, rows in before.items():
        for pk, value in rows.items():
            assert after[kind].get(pk, value) == value, f"{kind} {pk} moved: {value} -> {after[kind][pk]}"
    members = set(Membership.objects.values_list("workspace_id", "user_id"))
    for task in Task.objects.select_related("meeting"):
        assert task.meeting is None or task.meeting.workspace_id == task.workspace_id, f"task {task.id}"
        assert task.assignee_id is None or (task.workspace_id, task.assignee_id) in members, f"task {task.id}"
    for segment in Segment.objects.select_related("participant"):
        assert segment.participant is None or segment.participant.meeting_id == segment.meeting_id
    return after


def check_lists(world: World, name: str) -> None:
    mine, api = workspaces_of(world.users[name]), world.api[name]
    for url in ("/api/v1/meetings/?limit=100", "/api/v1/tasks/?limit=500"):
        rows = api.get(url).json()["results"]
        assert {row["workspace"] for row in rows} <= mine, url


def test_random_operations_leak_nothing_and_move_nothing(db, settings):
    settings.MINA_RATE_LIMITS = {scope: "100000/min" for scope in settings.MINA_RATE_LIMITS}
    world = build_world()
    page = Client()

    @FUZZ
    @given(steps=operations)
    def scenario(steps):
        counts = {k: len(getattr(world, k)) for k in ("meetings", "tasks")}
        with transaction.atomic():
            state = snapshot()
            for op in steps:
                run(world, op, page)
                state = check_invariants(state)
            check_lists(world, steps[-1][1])  # what the last one to act now sees in its lists
            transaction.set_rollback(True)
        for kind, count in counts.items():  # what this example created is gone again
            del getattr(world, kind)[count:]

    scenario()
