"""The API's documents as marshmallow schemas: they make the OpenAPI document, check the input and
shape the output. Output values are written by ``minitendr.api.present`` already as the API gives
them (money a decimal string, times ISO 8601 with the offset), so the output fields are strings with
a format; a field left out of a document is absent, never null (a sealed bid's price)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

MONEY_PATTERN = r"^-?\d{1,12}\.\d{2}$"


def Money(**kwargs):
    return fields.String(metadata={"format": "decimal", "pattern": MONEY_PATTERN, "example": "12345.00"}, **kwargs)


def Moment(**kwargs):
    return fields.String(metadata={"format": "date-time"}, **kwargs)


def Day(**kwargs):
    return fields.String(metadata={"format": "date"}, **kwargs)


def Units(**kwargs):
    return fields.String(metadata={"format": "decimal", "example": "10.00"}, **kwargs)


class Out(Schema):
    class Meta:
        ordered = True


class ProblemError(Out):
    field = fields.String(required=True)
    detail = fields.String(required=True)


class ProblemSchema(Out):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(ProblemError))


class Ref(Out):
    code = fields.String(required=True)
    name = fields.String(required=True)


class ProviderRef(Out):
    ico = fields.String(required=True)
    name = fields.String(required=True)


class Party(Out):
    provider = fields.Nested(ProviderRef, required=True)
    since = Day(required=True)
    status = fields.String(required=True)


class Framework(Out):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    title = fields.String(required=True)
    kraj = fields.Nested(Ref, required=True)
    category = fields.Nested(Ref, required=True)
    status = fields.String(required=True)
    valid_from = Day(required=True)
    valid_to = Day(required=True)
    ceiling = Money()
    price_weight = fields.Integer(required=True)
    quality_weight = fields.Integer(required=True)
    bid_period_days = fields.Integer(required=True)
    parties = fields.List(fields.Nested(Party))


class Clarification(Out):
    id = fields.Integer(required=True)
    question = fields.String(required=True)
    asked_at = Moment(required=True)
    answer = fields.String(allow_none=True)
    answered_at = Moment(allow_none=True)
    deadline_extended_to = Moment(allow_none=True)


class OwnBid(Out):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    submitted_at = Moment(required=True)


class Demand(Out):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.String(required=True)
    orp = fields.Nested(Ref, required=True)
    category = fields.Nested(Ref, required=True)
    service_type = fields.Nested(Ref, required=True)
    framework_id = fields.Integer(allow_none=True)
    needs = fields.List(fields.String(), required=True)
    case_reference = fields.String(required=True)
    need_description = fields.String(required=True)
    expected_outcome = fields.String(required=True)
    place = fields.String(required=True)
    volume = Units(required=True)
    start_date = Day(required=True)
    end_date = Day(required=True)
    estimated_max_value = Money(allow_none=True)
    deadline = Moment(allow_none=True)
    published_at = Moment(allow_none=True)
    contact_name = fields.String(required=True)
    contact_email = fields.String(required=True)
    contact_phone = fields.String(required=True)
    cancel_reason = fields.String(allow_none=True)
    created_at = Moment(required=True)
    # Present only to whom the rules show them (absent otherwise, never null).
    bid_count = fields.Integer()
    invited = fields.List(fields.Nested(ProviderRef))
    own_bids = fields.List(fields.Nested(OwnBid))
    clarifications = fields.List(fields.Nested(Clarification))
    subcontract_id = fields.Integer()


class Attachment(Out):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    size = fields.Integer(required=True)


class Bid(Out):
    id = fields.Integer(required=True)
    demand_id = fields.Integer(required=True)
    provider = fields.Nested(ProviderRef, required=True)
    status = fields.String(required=True)
    submitted_at = Moment(required=True)
    sealed = fields.Boolean(required=True)
    # The offer: present to the bidder, and to those who read the bid once the envelopes are opened.
    unit_price = Money()
    units = Units()
    total = Money()
    vat_rate = fields.Integer()
    proposed_start = Day()
    team = fields.String()
    approach = fields.String()
    attachments = fields.List(fields.Nested(Attachment))
    quality_score = fields.Integer(allow_none=True)
    excluded_reason = fields.String(allow_none=True)


PDF = {"type": "string", "format": "binary"}


class Drawdown(Out):
    id = fields.Integer(required=True)
    subcontract_id = fields.Integer(required=True)
    period = Day(required=True)
    units = Units(required=True)
    amount = Money(required=True)
    difference_reason = fields.String(allow_none=True)
    status = fields.String(required=True)
    rejection_reason = fields.String(allow_none=True)
    reported_at = Moment(required=True)
    decided_at = Moment(allow_none=True)


class Amendment(Out):
    id = fields.Integer(required=True)
    seq = fields.Integer(required=True)
    old_value = Money(required=True)
    new_value = Money(required=True)
    old_units = Units(required=True)
    new_units = Units(required=True)
    old_end_date = Day(required=True)
    new_end_date = Day(required=True)
    reason = fields.String(required=True)
    consent_on = Day(required=True)
    created_at = Moment(required=True)
    registry_id = fields.String(allow_none=True)
    registry_version = fields.String(allow_none=True)
    registry_published_on = Day(allow_none=True)


class SubContract(Out):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    demand_id = fields.Integer(required=True)
    framework_id = fields.Integer(required=True)
    provider = fields.Nested(ProviderRef, required=True)
    orp = fields.Nested(Ref, required=True)
    service_type = fields.Nested(Ref, required=True)
    status = fields.String(required=True)
    units = Units(required=True)
    unit_price = Money(required=True)
    value = Money(required=True)
    vat_rate = fields.Integer(required=True)
    start_date = Day(required=True)
    end_date = Day(required=True)
    signed_on = Day(required=True)
    drawn = Money(required=True)
    registry_id = fields.String(allow_none=True)
    registry_version = fields.String(allow_none=True)
    registry_published_on = Day(allow_none=True)
    termination_reason = fields.String(allow_none=True)
    drawdowns = fields.List(fields.Nested(Drawdown))
    amendments = fields.List(fields.Nested(Amendment))


class AuditEvent(Out):
    id = fields.Integer(required=True)
    occurred_at = Moment(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    data = fields.Dict(required=True)


def _page(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next": fields.String(allow_none=True, required=True, metadata={"format": "uri"}),
            "count": fields.Integer(),
        },
        name=name,
    )


FrameworkPage = _page(Framework, "FrameworkPage")
DemandPage = _page(Demand, "DemandPage")
BidPage = _page(Bid, "BidPage")
SubContractPage = _page(SubContract, "SubContractPage")
DrawdownPage = _page(Drawdown, "DrawdownPage")
AuditPage = _page(AuditEvent, "AuditPage")


class SpendRow(Out):
    kraj_code = fields.String(required=True)
    kraj = fields.String(required=True)
    category_code = fields.String(required=True)
    category = fields.String(required=True)
    count = fields.Integer(required=True)
    value = Money(required=True)
    drawn = Money(required=True)


class Spend(Out):
    filters = fields.Dict(required=True)
    rows = fields.List(fields.Nested(SpendRow), required=True)
    count = fields.Integer(required=True)
    value = Money(required=True)
    drawn = Money(required=True)


class NetworkCell(Out):
    orp_code = fields.String(required=True)
    orp = fields.String(required=True)
    kraj_code = fields.String(required=True)
    need = fields.String(required=True)
    published = fields.Integer(required=True)
    awarded = fields.Integer(required=True)
    unmet = fields.Integer(required=True)
    single_bid = fields.Integer(required=True)
    value = Money(required=True)
    services = fields.Integer(required=True)
    model_minimum = fields.Integer(allow_none=True)
    children = fields.Integer(required=True)
    value_per_child = Money(allow_none=True)
    gap = fields.Boolean(required=True)


class Network(Out):
    cells = fields.List(fields.Nested(NetworkCell), required=True)


# --- input ---------------------------------------------------------------------------------------
TEXT = validate.Length(max=4000)


class In(Schema):
    class Meta:
        ordered = True


class CursorArgs(In):
    after = fields.String(validate=validate.Length(max=500), metadata={"description": "kurzor další stránky"})


class FrameworkArgs(CursorArgs):
    kraj = fields.String(validate=validate.Length(max=10))
    category = fields.String(validate=validate.Length(max=40))
    status = fields.String(validate=validate.OneOf(["draft", "active", "expired", "terminated"]))
    valid_on = fields.Date()


class DemandArgs(CursorArgs):
    status = fields.String(
        validate=validate.OneOf(["draft", "published", "evaluation", "awarded", "unsuccessful", "cancelled"])
    )
    orp = fields.String(validate=validate.Length(max=10))
    kraj = fields.String(validate=validate.Length(max=10))


class SubContractArgs(CursorArgs):
    kraj = fields.String(validate=validate.Length(max=10))
    orp = fields.String(validate=validate.Length(max=10))
    category = fields.String(validate=validate.Length(max=40))
    provider = fields.String(validate=validate.Length(max=8))
    status = fields.String(validate=validate.OneOf(["active", "completed", "terminated"]))
    year = fields.Integer(validate=validate.Range(2000, 2100))


class SpendArgs(In):
    kraj = fields.String(validate=validate.Length(max=10))
    orp = fields.String(validate=validate.Length(max=10))
    category = fields.String(validate=validate.Length(max=40))
    provider = fields.String(validate=validate.Length(max=8), metadata={"description": "IČO"})
    year = fields.Integer(validate=validate.Range(2000, 2100))


class NetworkArgs(In):
    kraj = fields.String(validate=validate.Length(max=10))
    orp = fields.String(validate=validate.Length(max=10))
    need = fields.String(validate=validate.Length(max=20))
    category = fields.String(validate=validate.Length(max=40))
    year = fields.Integer(validate=validate.Range(2000, 2100))


class HistoryArgs(CursorArgs):
    pass


class DemandInput(In):
    service_type = fields.String(required=True, validate=validate.Length(min=1, max=20), metadata={"example": "SAS"})
    needs = fields.List(fields.String(validate=validate.Length(max=20)), required=True, validate=validate.Length(max=6))
    case_reference = fields.String(required=True, validate=validate.Length(max=40))
    need_description = fields.String(required=True, validate=TEXT)
    expected_outcome = fields.String(required=True, validate=TEXT)
    place = fields.String(required=True, validate=validate.Length(max=200))
    volume = fields.Decimal(required=True, places=None, allow_nan=False, metadata={"example": "20"})
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    estimated_max_value = fields.Decimal(allow_none=True, allow_nan=False)
    deadline = fields.AwareDateTime(allow_none=True)
    contact_name = fields.String(required=True, validate=validate.Length(max=120))
    contact_email = fields.Email(required=True, validate=validate.Length(max=254))
    contact_phone = fields.String(load_default="", validate=validate.Length(max=40))


class DemandPatch(DemandInput):
    """Only the fields to change; the others keep their values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class ReasonInput(In):
    reason = fields.String(required=True, validate=TEXT)


class QuestionInput(In):
    question = fields.String(required=True, validate=TEXT)


class AnswerInput(In):
    answer = fields.String(required=True, validate=TEXT)
    new_deadline = fields.AwareDateTime(allow_none=True)


class BidInput(In):
    unit_price = fields.Decimal(required=True, allow_nan=False, metadata={"example": "450.00"})
    units = fields.Decimal(required=True, allow_nan=False, metadata={"example": "20"})
    vat_rate = fields.Integer(required=True, validate=validate.OneOf([0, 12, 21]))
    proposed_start = fields.Date(required=True)
    team = fields.String(required=True, validate=TEXT)
    approach = fields.String(required=True, validate=TEXT)


class BidFiles(In):
    attachments = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}), metadata={"description": "PDF přílohy"}
    )


class ScoreInput(In):
    quality_score = fields.Integer(required=True, validate=validate.Range(0, 100))
    justification = fields.String(required=True, validate=TEXT)


class NoteInput(In):
    note = fields.String(load_default="", validate=TEXT)


class DrawdownInput(In):
    period = fields.Date(required=True, metadata={"description": "kterýkoli den vykazovaného měsíce"})
    units = fields.Decimal(required=True, allow_nan=False)
    amount = fields.Decimal(required=True, allow_nan=False)
    reason = fields.String(allow_none=True, validate=TEXT)


class AmendmentInput(In):
    new_value = fields.Decimal(required=True, allow_nan=False)
    new_units = fields.Decimal(required=True, allow_nan=False)
    new_end_date = fields.Date(required=True)
    reason = fields.String(required=True, validate=TEXT)
    provider_consent = fields.String(required=True, validate=validate.Length(max=200))
    consent_on = fields.Date(required=True)


class RegistryInput(In):
    registry_id = fields.String(
        required=True, validate=validate.Length(min=1, max=20), metadata={"description": "ID záznamu v registru smluv"}
    )
    registry_version = fields.String(
        allow_none=True, validate=validate.Length(max=20), metadata={"description": "idVerze z potvrzení registru"}
    )
    published_on = fields.Date(required=True, metadata={"description": "datum zveřejnění"})


class MemberInput(In):
    email = fields.Email(required=True, validate=validate.Length(max=254))


class DeclarationInput(In):
    conflict = fields.Boolean(required=True, metadata={"description": "true: jsem ve střetu zájmů"})
    note = fields.String(allow_none=True, validate=TEXT)
