import factory
from factory.django import DjangoModelFactory

from accounts.models import User
from meetings.models import Meeting, Participant, Task
from transcription.models import Recording, Segment
from workspaces.models import Membership, Role, Workspace


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "a-strong-pass-123")

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            self.save()


class WorkspaceFactory(DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    workspace = factory.SubFactory(WorkspaceFactory)
    title = factory.Sequence(lambda n: f"Meeting {n}")
    organizer = factory.SubFactory(UserFactory)


class ParticipantFactory(DjangoModelFactory):
    class Meta:
        model = Participant

    meeting = factory.SubFactory(MeetingFactory)
    name = factory.Sequence(lambda n: f"Speaker {n}")


def meeting_recording(meeting: Meeting, kind: str) -> Recording:
    """The recording a factory segment belongs to, as in a real meeting: one live stream
    per meeting here; a careful-pass line marks it refined to the end (so its lines, not
    the live finals, are the transcript)."""
    recording = meeting.recordings.filter(source=Recording.Source.LIVE).order_by("id").first()
    if recording is None:
        recording = Recording.objects.create(meeting=meeting, source=Recording.Source.LIVE, status="receiving")
    if kind == Segment.Kind.REFINED and recording.status != Recording.Status.DONE:
        recording.status, recording.refined_ms, recording.duration_ms = Recording.Status.DONE, 10**9, 10**9
        recording.save(update_fields=["status", "refined_ms", "duration_ms"])
    return recording


class SegmentFactory(DjangoModelFactory):
    class Meta:
        model = Segment

    meeting = factory.SubFactory(MeetingFactory)
    recording = factory.LazyAttribute(lambda o: meeting_recording(o.meeting, o.kind))
    start_ms = factory.Sequence(lambda n: n * 1000)
    end_ms = factory.LazyAttribute(lambda o: o.start_ms + 900)
    text = factory.Sequence(lambda n: f"sentence number {n}")
    kind = Segment.Kind.FINAL


class TaskFactory(DjangoModelFactory):
    class Meta:
        model = Task

    workspace = factory.LazyAttribute(lambda o: o.meeting.workspace)
    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
