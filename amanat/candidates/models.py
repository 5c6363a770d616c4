"""Candidates (داوطلبان): registration, dossier, inquiries, review, complaints, final list.

The whole process for council elections and the Assembly of Experts by-election:

* **Seat bands** (``SeatBand``) and **eligibility rules** (``EligibilityRule``) and the
  **required documents** (``DocumentType``) are rows per contest kind with their legal
  reference: a rule changes without a code change.
* A **candidacy** (``Candidacy``) is one person standing in one constituency of one
  contest. The law forbids standing twice in one election: the database refuses a
  second live candidacy with the same national ID in the same election, whatever the
  constituency (``candidates_one_per_person_per_election``).
* The **dossier**: documents (``Document``, each upload a row; the latest per type is its
  status), declarations (``Declaration``) and declared relatives (``DeclaredRelative``,
  what the staffing conflict check reads).
* The **four inquiries** (``Inquiry``, sent in ``InquiryBatch``es, each with a due date
  and an answer). Answers are confidential.
* **Review** (``ReviewDecision``): the county executive board decides, the supervision
  board confirms or overturns; the checker is never the maker (a database check). The
  history is never rewritten: a later decision is a new row.
* **Complaints** (``Complaint``) and the **final list** (``FinalList``,
  ``FinalListEntry``) with ballot order and withdrawals.

Scope: every candidacy carries the path of the county office it registered with
(``unit_path``), so "a Kerman officer sees no Gharchak candidate" is one prefix filter.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.elections.models import ContestKind
from amanat.geo.models import ConstituencyKind

NATIONAL_ID_LENGTH = 10


# --- Law as data -------------------------------------------------------------------------


class SeatBand(models.Model):
    """Seats of a council constituency by population: the band with the largest
    ``min_population`` not above the constituency's population applies. A band with a
    ``unit`` applies to that unit only (the capital's council has its own size)."""

    kind = models.CharField(_("constituency kind"), max_length=16,
                            choices=ConstituencyKind.choices)
    min_population = models.PositiveIntegerField(_("from population"), default=0)
    seats = models.PositiveSmallIntegerField(_("seats"))
    reserve_seats = models.PositiveSmallIntegerField(_("reserve seats"), default=0)
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("only for unit"))
    legal_reference = models.CharField(_("legal reference"), max_length=300)

    class Meta:
        verbose_name = _("seat band")
        verbose_name_plural = _("seat bands")
        ordering = ["kind", "min_population", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "min_population"],
                                    condition=models.Q(unit__isnull=True),
                                    name="candidates_seatband_kind_min"),
            models.CheckConstraint(condition=models.Q(seats__gt=0),
                                   name="candidates_seatband_seats_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ≥ {self.min_population}: {self.seats}"


class EducationLevel(models.IntegerChoices):
    """Ordered: a rule "at least ``n``" compares the numbers."""

    NONE = 0, _("No formal education")
    PRIMARY = 1, _("Primary school")
    MIDDLE = 2, _("Middle school")
    DIPLOMA = 3, _("High-school diploma")
    ASSOCIATE = 4, _("Associate degree")
    BACHELOR = 5, _("Bachelor's degree")
    MASTER = 6, _("Master's degree")
    DOCTORATE = 7, _("Doctorate")
    IJTIHAD = 8, _("Ijtihad (religious scholarship)")


class DocumentType(models.Model):
    """A document the dossier of a contest kind holds (identity card copy, photo, degree,
    resignation letter...)."""

    contest_kind = models.CharField(_("contest kind"), max_length=32,
                                    choices=ContestKind.choices)
    code = models.SlugField(_("code"), max_length=40)
    name_fa = models.CharField(_("Persian name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    # Content types accepted (read from the bytes): "jpg", "png", "pdf".
    allowed_types = models.JSONField(_("allowed file types"), default=list)
    is_photo = models.BooleanField(_("the candidate's photo"), default=False)
    legal_reference = models.CharField(_("legal reference"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["contest_kind", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["contest_kind", "code"],
                                    name="candidates_documenttype_code"),
        ]

    def __str__(self) -> str:
        return self.name_en


class RuleCheck(models.TextChoices):
    """What an eligibility rule compares; its parameters are on the row."""

    AGE_MIN = "age_min", _("Minimum age on election day")
    AGE_MAX = "age_max", _("Maximum age on election day")
    EDUCATION_MIN = "education_min", _("Minimum education level")
    RESIDENCE_YEARS = "residence_years", _("Years of residence in the constituency")
    RESIGNATION = "resignation", _("Listed officials resigned before a date")
    DOCUMENT = "document", _("A document is on file")


class EligibilityRule(models.Model):
    """One condition of eligibility for a contest kind, with its legal reference.

    ``number`` is the age, the education level or the years; ``date`` the resignation
    deadline; ``document_type`` the document that proves the condition (without it on
    file the rule shows "needs a document").
    """

    contest_kind = models.CharField(_("contest kind"), max_length=32,
                                    choices=ContestKind.choices)
    code = models.SlugField(_("code"), max_length=40)
    test = models.CharField(_("test"), max_length=20, choices=RuleCheck.choices)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    date = models.DateField(_("date"), null=True, blank=True)
    # The constituencies the rule is for, by population (the law asks more schooling of
    # a city council candidate above 20,000 people); see ``applies_to``.
    min_population = models.PositiveIntegerField(_("from population"), default=0)
    max_population = models.PositiveIntegerField(_("up to population"), null=True,
                                                 blank=True)
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="rules",
                                      verbose_name=_("proving document"))
    name_fa = models.CharField(_("Persian name"), max_length=300)
    name_en = models.CharField(_("English name"), max_length=300)
    legal_reference = models.CharField(_("legal reference"), max_length=300)
    # A rule that refuses registration outright when not met (age); the others are shown
    # on the dossier and decided by the board.
    blocks_registration = models.BooleanField(_("refuses registration when not met"),
                                              default=False)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")
        ordering = ["contest_kind", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["contest_kind", "code"],
                                    name="candidates_rule_code"),
        ]

    def __str__(self) -> str:
        return self.name_en

    def applies_to(self, population: int | None) -> bool:
        """Whether the rule holds for a constituency of this population.  An unknown
        population takes the rule that starts at 0, as it takes the smallest seat band."""
        if population is None:
            return self.min_population == 0
        return self.min_population <= population and (
            self.max_population is None or population <= self.max_population)


# --- The candidacy -----------------------------------------------------------------------


class State(models.TextChoices):
    PRE_REGISTERED = "pre_registered", _("Pre-registered online")
    REGISTERED = "registered", _("Registered")
    UNDER_REVIEW = "under_review", _("Under review")
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CANCELLED = "cancelled", _("Cancelled")


# A cancelled candidacy (a pre-registration the county refused as a mistake) does not
# count against "one candidacy per person per election"; every other state does.
LIVE_STATES = frozenset(set(State) - {State.CANCELLED})
# The same as a query condition, written as the unique index's own condition so that the
# database uses that index (``state IN (...)`` made SQLite read the whole election).
LIVE = ~models.Q(state=State.CANCELLED)


class Channel(models.TextChoices):
    ONLINE = "online", _("Online pre-registration")
    WALK_IN = "walk_in", _("At the county office")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class Candidacy(models.Model):
    """One person standing in one constituency of one contest."""

    reference = models.CharField(_("tracking code"), max_length=16, unique=True)
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("election"))
    contest = models.ForeignKey("elections.Contest", on_delete=models.PROTECT,
                                related_name="candidacies", verbose_name=_("contest"))
    constituency = models.ForeignKey("geo.Constituency", on_delete=models.PROTECT,
                                     related_name="candidacies",
                                     verbose_name=_("constituency"))
    # The county office the candidacy is registered with; scope reads its path.
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))
    unit_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.PRE_REGISTERED)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)

    # The person, as declared (and checked against the civil registry by its inquiry).
    national_id = models.CharField(_("national ID"), max_length=NATIONAL_ID_LENGTH)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    father_name = models.CharField(_("father's name"), max_length=100, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices)
    birth_date = models.DateField(_("date of birth"))
    education = models.PositiveSmallIntegerField(_("education"),
                                                 choices=EducationLevel.choices)
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    residence_years = models.PositiveSmallIntegerField(
        _("years of residence in the constituency"), default=0)
    address = models.TextField(_("address"), max_length=1000, blank=True)
    mobile = models.CharField(_("mobile number"), max_length=11)
    mobile_confirmed_at = models.DateTimeField(_("mobile confirmed"), null=True, blank=True)
    # ``lib.persian.search_key`` of names, national ID and tracking code: what the list's
    # text filter reads.
    search_text = models.CharField(max_length=500, editable=False, db_index=True)

    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("entered by"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("confirmed by"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("candidacy")
        verbose_name_plural = _("candidacies")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "national_id"],
                condition=~models.Q(state=State.CANCELLED),
                name="candidates_one_per_person_per_election",
            ),
            models.CheckConstraint(
                condition=models.Q(national_id__regex=r"^[0-9]{10}$"),
                name="candidates_national_id_digits",
            ),
        ]
        indexes = [
            models.Index(fields=["election", "unit_path", "state"],
                         name="candidates_scope_state"),
            models.Index(fields=["election", "state", "-created_at"],
                         name="candidates_state_created"),
            models.Index(fields=["constituency", "state"], name="candidates_constituency"),
            # The staff list's order without a state filter: an index walk, not a sort of
            # the election's every candidacy.
            models.Index(fields=["election", "-created_at", "-id"],
                         name="candidates_election_created"),
            # The text filter's count reads this index, not the rows (SQLite: a fifth of
            # the pages).
            models.Index(fields=["election", "search_text", "state"],
                         name="candidates_search_state"),
            # PostgreSQL: the county filter's unit_path LIKE 'prefix%' (SQLite: a range).
            models.Index(fields=["unit_path"], name="candidates_path_pattern",
                         opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class DocumentStatus(models.TextChoices):
    MISSING = "missing", _("Missing")  # no row: shown, never stored
    RECEIVED = "received", _("Received")
    REJECTED = "rejected", _("Rejected")


class Document(models.Model):
    """One uploaded file of a dossier, stored as candidates/<generated name> in the
    default file storage (like incident evidence: MEDIA_ROOT, or the database). A new
    upload of the same type is a new row; the latest row of a type is that type's
    status."""

    candidacy = models.ForeignKey(Candidacy, on_delete=models.PROTECT,
                                  related_name="documents", verbose_name=_("candidacy"))
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("document type"))
    status = models.CharField(_("status"), max_length=8, choices=DocumentStatus.choices,
                              default=DocumentStatus.RECEIVED)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=500,
                                        blank=True)
    file = models.FileField(_("file"), upload_to="candidates/", max_length=200)
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("uploaded by"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("reviewed by"))

    class Meta:
        verbose_name = _("dossier document")
        verbose_name_plural = _("dossier documents")
        ordering = ["candidacy", "document_type", "-uploaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=DocumentStatus.MISSING),
                name="candidates_document_not_missing",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=DocumentStatus.REJECTED)
                | ~models.Q(rejection_reason=""),
                name="candidates_document_rejection_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or str(self.file.name)


class DeclarationCode(models.TextChoices):
    """What a candidate declares on the dossier (a yes/no with an optional date/text)."""

    HOLDS_LISTED_OFFICE = "holds_listed_office", _(
        "Holds an office whose holders must resign before registering")
    RESIGNED = "resigned", _("Has resigned from that office")
    CRIMINAL_RECORD = "criminal_record", _("Has a criminal record")
    COMMITMENT = "commitment", _("Commits to the Constitution and the law")
    TRUTHFUL = "truthful", _("Declares the information given to be true")


class Declaration(models.Model):
    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE,
                                  related_name="declarations", verbose_name=_("candidacy"))
    code = models.CharField(_("declaration"), max_length=32, choices=DeclarationCode.choices)
    value = models.BooleanField(_("answer"))
    date = models.DateField(_("date"), null=True, blank=True)
    text = models.CharField(_("details"), max_length=500, blank=True)
    declared_at = models.DateTimeField(_("declared"), default=timezone.now)

    class Meta:
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")
        ordering = ["candidacy", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["candidacy", "code"],
                                    name="candidates_declaration_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.value}"


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    SIBLING = "sibling", _("Brother or sister")
    PARENT_IN_LAW = "parent_in_law", _("Parent-in-law")
    CHILD_IN_LAW = "child_in_law", _("Son- or daughter-in-law")
    OTHER = "other", _("Other relative")


class DeclaredRelative(models.Model):
    """A relative the candidate declares: the staffing conflict check reads these by
    national ID (no one related to a candidate staffs that constituency's stations)."""

    candidacy = models.ForeignKey(Candidacy, on_delete=models.CASCADE,
                                  related_name="relatives", verbose_name=_("candidacy"))
    relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices)
    national_id = models.CharField(_("national ID"), max_length=NATIONAL_ID_LENGTH,
                                   db_index=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)

    class Meta:
        verbose_name = _("declared relative")
        verbose_name_plural = _("declared relatives")
        ordering = ["candidacy", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["candidacy", "national_id"],
                                    name="candidates_relative_once"),
            models.CheckConstraint(
                condition=models.Q(national_id__regex=r"^[0-9]{10}$"),
                name="candidates_relative_national_id_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


# --- The four inquiries --------------------------------------------------------------------


class InquiryKind(models.TextChoices):
    INTELLIGENCE = "intelligence", _("Ministry of Intelligence")
    POLICE = "police", _("Police record")
    JUDICIARY = "judiciary", _("Judiciary")
    CIVIL_REGISTRY = "civil_registry", _("Civil registry")


class InquiryAnswer(models.TextChoices):
    PENDING = "pending", _("Awaiting an answer")
    CLEAR = "clear", _("Clear")
    ADVERSE = "adverse", _("Adverse")
    NO_ANSWER = "no_answer", _("No answer by the due date")


class InquiryBatch(models.Model):
    """Inquiries of one kind sent together by one county office (or a province, for the
    Assembly of Experts) to one authority."""

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("election"))
    kind = models.CharField(_("authority"), max_length=16, choices=InquiryKind.choices)
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("sent by"))
    unit_path = models.CharField(max_length=255, editable=False)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    due = models.DateField(_("due date"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("sent by"))

    class Meta:
        verbose_name = _("inquiry batch")
        verbose_name_plural = _("inquiry batches")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["election", "unit_path"], name="candidates_batch_scope")]

    def __str__(self) -> str:
        return self.reference


class Inquiry(models.Model):
    """One inquiry about one candidate to one authority. The answer is confidential."""

    candidacy = models.ForeignKey(Candidacy, on_delete=models.PROTECT,
                                  related_name="inquiries", verbose_name=_("candidacy"))
    batch = models.ForeignKey(InquiryBatch, on_delete=models.PROTECT,
                              related_name="inquiries", verbose_name=_("batch"))
    kind = models.CharField(_("authority"), max_length=16, choices=InquiryKind.choices)
    due = models.DateField(_("due date"))
    answer = models.CharField(_("answer"), max_length=10, choices=InquiryAnswer.choices,
                              default=InquiryAnswer.PENDING)
    # The authority's reference for an adverse answer (a case file, a judgment number).
    adverse_reference = models.CharField(_("reference of the adverse finding"),
                                         max_length=200, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("recorded by"))

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["candidacy", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["candidacy", "kind"], name="candidates_inquiry_once"),
            models.CheckConstraint(
                condition=~models.Q(answer=InquiryAnswer.ADVERSE)
                | ~models.Q(adverse_reference=""),
                name="candidates_inquiry_adverse_reference",
            ),
        ]
        indexes = [models.Index(fields=["answer", "due"], name="candidates_inquiry_late")]

    def __str__(self) -> str:
        return f"{self.candidacy_id}/{self.kind}"


# --- Review by the boards ------------------------------------------------------------------


class Board(models.TextChoices):
    EXECUTIVE = "executive", _("Executive board")
    SUPERVISION = "supervision", _("Supervision board")


class Outcome(models.TextChoices):
    QUALIFIED = "qualified", _("Qualified")
    DISQUALIFIED = "disqualified", _("Disqualified")
    CONFIRMED = "confirmed", _("Confirmed")
    OVERTURNED = "overturned", _("Overturned")


class ReviewDecision(models.Model):
    """A board's decision on a candidacy. Never changed: a later decision is a new row.

    The executive board decides qualified / disqualified (the legal article required for
    a disqualification); the supervision board confirms or overturns a decision
    (``reviews``). Maker-checker: ``maker`` is the reviewed decision's author, and the
    database refuses a checker who is the maker.
    """

    candidacy = models.ForeignKey(Candidacy, on_delete=models.PROTECT,
                                  related_name="decisions", verbose_name=_("candidacy"))
    board = models.CharField(_("board"), max_length=12, choices=Board.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    legal_article = models.CharField(_("legal article"), max_length=200, blank=True)
    reasons = models.TextField(_("reasons"), max_length=4000, blank=True)
    reviews = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="reviewed_by",
                                verbose_name=_("decision reviewed"))
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+",
                              verbose_name=_("author of the decision reviewed"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class Meta:
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        ordering = ["candidacy", "decided_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(outcome=Outcome.DISQUALIFIED) | ~models.Q(legal_article=""),
                name="candidates_decision_article",
            ),
            models.CheckConstraint(
                condition=(models.Q(board=Board.EXECUTIVE,
                                    outcome__in=[Outcome.QUALIFIED, Outcome.DISQUALIFIED],
                                    reviews__isnull=True)
                           | models.Q(board=Board.SUPERVISION,
                                      outcome__in=[Outcome.CONFIRMED, Outcome.OVERTURNED],
                                      reviews__isnull=False, maker__isnull=False)),
                name="candidates_decision_board_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(maker__isnull=True) | ~models.Q(maker=models.F("decided_by")),
                name="candidates_decision_maker_checker",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.board}: {self.outcome}"


# --- Complaints -----------------------------------------------------------------------------


class ComplaintOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld: the candidate is qualified")
    REJECTED = "rejected", _("Rejected: the disqualification stands")


class Complaint(models.Model):
    """A disqualified candidate's complaint, filed within the complaints window and
    decided by the supervision board. The decision is final and dated."""

    candidacy = models.OneToOneField(Candidacy, on_delete=models.PROTECT,
                                     related_name="complaint", verbose_name=_("candidacy"))
    text = models.TextField(_("complaint"), max_length=5000)
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+",
                                 verbose_name=_("entered by"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=ComplaintOutcome.choices,
                               default=ComplaintOutcome.PENDING)
    legal_article = models.CharField(_("legal article"), max_length=200, blank=True)
    decision_text = models.TextField(_("decision"), max_length=4000, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-filed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome=ComplaintOutcome.PENDING, decided_at__isnull=True)
                | (~models.Q(outcome=ComplaintOutcome.PENDING)
                   & models.Q(decided_at__isnull=False, decided_by__isnull=False)),
                name="candidates_complaint_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidacy_id}: {self.outcome}"


# --- The final list --------------------------------------------------------------------------


class FinalList(models.Model):
    """The final list of one constituency of one contest; public once published."""

    contest = models.ForeignKey("elections.Contest", on_delete=models.PROTECT,
                                related_name="final_lists", verbose_name=_("contest"))
    constituency = models.ForeignKey("geo.Constituency", on_delete=models.PROTECT,
                                     related_name="final_lists",
                                     verbose_name=_("constituency"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("published by"))

    class Meta:
        verbose_name = _("final list")
        verbose_name_plural = _("final lists")
        ordering = ["contest", "constituency"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "constituency"],
                                    name="candidates_finallist_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contest_id}/{self.constituency_id}"


class FinalListEntry(models.Model):
    """A candidate on a final list, in the ballot's order; a withdrawal after publication
    is recorded here and shown, never deleted."""

    final_list = models.ForeignKey(FinalList, on_delete=models.PROTECT,
                                   related_name="entries", verbose_name=_("final list"))
    candidacy = models.OneToOneField(Candidacy, on_delete=models.PROTECT,
                                     related_name="final_entry", verbose_name=_("candidacy"))
    ballot_order = models.PositiveSmallIntegerField(_("ballot order"))
    ballot_name = models.CharField(_("name on the ballot"), max_length=200)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawal_note = models.CharField(_("withdrawal note"), max_length=500, blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("withdrawal recorded by"))

    class Meta:
        verbose_name = _("final list entry")
        verbose_name_plural = _("final list entries")
        ordering = ["final_list", "ballot_order"]
        constraints = [
            models.UniqueConstraint(fields=["final_list", "ballot_order"],
                                    name="candidates_ballot_order_unique"),
            models.CheckConstraint(condition=models.Q(ballot_order__gt=0),
                                   name="candidates_ballot_order_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.ballot_order}. {self.ballot_name}"


# --- Mobile confirmation for online pre-registration ---------------------------------------


class MobileCode(models.Model):
    """A one-time code sent to a mobile number to confirm it. Only the code's hash is
    kept; a few wrong tries end it."""

    national_id = models.CharField(max_length=NATIONAL_ID_LENGTH)
    mobile = models.CharField(max_length=11)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    # Who asked for it: a keyed hash of the client's address (never the address itself),
    # so that codes sent per connection can be limited like those per number.
    client_key = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("mobile confirmation code")
        verbose_name_plural = _("mobile confirmation codes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["mobile", "created_at"], name="candidates_code_mobile"),
                   models.Index(fields=["client_key", "created_at"],
                                name="candidates_code_client")]

    def __str__(self) -> str:
        return f"{self.mobile} {self.created_at:%Y-%m-%d %H:%M}"
