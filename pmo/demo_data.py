"""Demo data for a customer-centric PMO: functions, services, customers, demand and feedback.

Pure data, no I/O. Records point at each other by local keys (``"c_cfo"``, ``"exec_dashboard"``);
``pmo.seed`` resolves those keys to server ids while loading. Dates are stored as day offsets
from the load date, so pilots always end, and demand always falls due, in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Segment = Literal["executive", "program_leader", "delivery_team", "functional_partner", "other"]
DemandKind = Literal["new_service", "service_change", "pain_point", "support_request"]
DemandStatus = Literal[
    "submitted", "triaged", "planned", "in_progress", "delivered", "rejected", "withdrawn"
]
LifecycleState = Literal["proposed", "in_design", "pilot", "active", "improving", "retired"]


@dataclass(frozen=True)
class PmoFunction:
    """A high-level area of PMO work that groups services."""

    code: str
    name: str
    description: str


@dataclass(frozen=True)
class CustomerProfile:
    """Who a customer is, in terms the PMO uses to tailor its services."""

    value_to_organization: str
    serves: str
    motivations: tuple[str, ...]
    priorities: tuple[str, ...]
    preferred_terms: tuple[str, ...]


@dataclass(frozen=True)
class Customer:
    """A PMO customer: one person or group the PMO serves."""

    key: str
    name: str
    segment: Segment
    business_unit: str
    strategic_importance: int
    maturity: int
    contact_email: str
    profile: CustomerProfile


@dataclass(frozen=True)
class ValueProposition:
    """What one segment gets from a service, in that segment's words, and what it costs them."""

    segment: Segment
    outcome: str
    cost_estimate: str


@dataclass(frozen=True)
class PilotPlan:
    """Who trials a service, how success is judged, and when the trial ends."""

    customer_keys: tuple[str, ...]
    success_criteria: str
    ends_in_days: int


@dataclass(frozen=True)
class ServiceMove:
    """One lifecycle transition of a service, with the reason the PMO records for it."""

    to: LifecycleState
    reason: str
    pilot: PilotPlan | None = None
    replacement_key: str | None = None


@dataclass(frozen=True)
class Service:
    """A PMO service and the lifecycle moves that bring it from `proposed` to its demo state."""

    key: str
    function_code: str
    name: str
    description: str
    target_segments: tuple[Segment, ...]
    value_propositions: tuple[ValueProposition, ...]
    owner: str
    capacity_per_month: int
    moves: tuple[ServiceMove, ...] = ()

    @property
    def demo_state(self) -> LifecycleState:
        """The lifecycle state the service is in once all its moves are applied."""
        return self.moves[-1].to if self.moves else "proposed"


@dataclass(frozen=True)
class DemandMove:
    """One status transition of a demand, with the reason the PMO records for it."""

    to: DemandStatus
    reason: str


@dataclass(frozen=True)
class Demand:
    """A need a customer brought to the PMO, problem first."""

    key: str
    customer_key: str
    title: str
    problem: str
    desired_outcome: str | None
    kind: DemandKind
    function_code: str | None
    service_key: str | None
    severity: int
    urgency: int
    reach: int
    effort_estimate: int | None
    due_in_days: int | None
    tags: tuple[str, ...]
    moves: tuple[DemandMove, ...] = ()

    @property
    def demo_status(self) -> DemandStatus:
        """The status the demand is in once all its moves are applied."""
        return self.moves[-1].to if self.moves else "submitted"


@dataclass(frozen=True)
class Endorsement:
    """Another customer saying "we have this need too" about an existing demand."""

    demand_key: str
    customer_key: str
    note: str


@dataclass(frozen=True)
class FeedbackResponse:
    """One customer's rating of one service, optionally about one demand."""

    key: str
    customer_key: str
    service_key: str
    csat: int
    perceived_value: int
    nps: int | None
    effort: int | None
    comment: str
    channel: str
    demand_key: str | None = None



def _vp(segment: Segment, outcome: str, cost_estimate: str) -> ValueProposition:
    """Shorthand for a value proposition row."""
    return ValueProposition(segment, outcome, cost_estimate)


def _pilot(customer_keys: tuple[str, ...], success_criteria: str, ends_in_days: int) -> PilotPlan:
    """Shorthand for a pilot plan."""
    return PilotPlan(customer_keys, success_criteria, ends_in_days)


def _launch(
    designing: str, piloting: str, plan: PilotPlan, going_live: str
) -> tuple[ServiceMove, ...]:
    """The usual road to `active`: design it, trial it with real customers, then roll it out."""
    return (
        ServiceMove("in_design", designing),
        ServiceMove("pilot", piloting, pilot=plan),
        ServiceMove("active", going_live),
    )


FUNCTIONS: tuple[PmoFunction, ...] = (
    PmoFunction(
        "governance",
        "Governance",
        "How investment and delivery decisions get made: gates, escalation routes, decision "
        "rights and the agreements that tell each party when it is involved.",
    ),
    PmoFunction(
        "reporting",
        "Reporting",
        "Turning project data into the few views each audience acts on, from weekly status to "
        "the executive portfolio picture.",
    ),
    PmoFunction(
        "schedule",
        "Schedule management",
        "Keeping plans honest: critical paths, milestones, cutovers and the dependencies "
        "between initiatives.",
    ),
    PmoFunction(
        "risk",
        "Risk and issue management",
        "Spotting what could go wrong early enough to act, giving each risk an owner, and "
        "following issues to closure.",
    ),
    PmoFunction(
        "resources",
        "Resource management",
        "Matching people, contractors and scarce skills to the work, with enough notice for the "
        "teams that supply them.",
    ),
    PmoFunction(
        "methods",
        "Methods and standards",
        "The minimum shared way of running projects, sized to the work, and the templates that "
        "make it cheap to follow.",
    ),
    PmoFunction(
        "training",
        "Training and coaching",
        "Building delivery skill where it is thin: onboarding new project managers and coaching "
        "teams on their real work.",
    ),
    PmoFunction(
        "portfolio",
        "Portfolio management",
        "Choosing which initiatives to start, pause or stop so the organisation funds what "
        "matters most and finishes what it starts.",
    ),
    PmoFunction(
        "benefits",
        "Benefits management",
        "Making sure approved investments name who owns their benefits, and measuring whether "
        "those benefits arrive.",
    ),
    PmoFunction(
        "knowledge",
        "Knowledge management",
        "Keeping what past projects learned, decided and produced findable for the next team.",
    ),
    PmoFunction(
        "administration",
        "Administration",
        "The practical support that keeps delivery moving: meetings, papers, minutes, actions "
        "and records.",
    ),
)


CUSTOMERS: tuple[Customer, ...] = (
    Customer(
        "c_cfo", "Office of the CFO", "executive", "Group Finance", 5, 3, "cfo.office@example.org",
        CustomerProfile(
            "Allocates the capital budget and answers to the board for the return on every "
            "major investment.",
            "The board, the audit committee and the group's investors.",
            ("Confidence that approved money turns into the promised benefits",
             "No surprises at quarter close"),
            ("Spend against benefit for each investment",
             "Early warning when a forecast overruns by more than ten percent"),
            ("return", "exposure", "forecast variance", "investment case"),
        ),
    ),
    Customer(
        "c_coo", "Chief Operating Officer", "executive", "Operations", 5, 2, "coo@example.org",
        CustomerProfile(
            "Runs day-to-day operations and sponsors the largest share of the change portfolio.",
            "Front-line operations staff and, through them, every customer of the group.",
            ("Fast, well-framed decisions", "Change that does not disrupt service levels"),
            ("Unblock stalled decisions within days",
             "A single page showing what is at risk this month"),
            ("decision", "disruption", "service level", "go/no-go"),
        ),
    ),
    Customer(
        "c_cdo", "Chief Digital Officer", "executive", "Digital & Technology", 4, 4,
        "cdo@example.org",
        CustomerProfile(
            "Owns the technology roadmap and the shared platforms other units build on.",
            "Product and engineering teams, and every business unit that depends on the platforms.",
            ("Speed to market", "Teams trusted to run themselves"),
            ("Lighter gates for low-risk change", "Self-service data instead of report requests"),
            ("flow", "time to value", "guardrails", "autonomy"),
        ),
    ),
    Customer(
        "c_erp", "ERP Renewal Program", "program_leader", "Group Finance", 5, 3,
        "erp.program@example.org",
        CustomerProfile(
            "Replaces the finance and supply-chain backbone; most of the group's planned cost "
            "savings depend on it.",
            "Finance, supply chain and fourteen country operations.",
            ("Land every release without cutover drama", "Keep the sponsor's trust"),
            ("Dependencies on other programs", "Acting on risks between steering meetings"),
            ("release", "cutover", "critical path", "workstream"),
        ),
    ),
    Customer(
        "c_branch", "Branch Network Modernisation", "program_leader", "Retail Network", 3, 2,
        "branch.modernisation@example.org",
        CustomerProfile(
            "Refits 120 branches with new equipment and ways of working over three years.",
            "Branch staff and the customers who walk in.",
            ("Support for first-time project managers", "Rollout waves that land when promised"),
            ("Basic planning discipline across all sites", "Less time spent on paperwork"),
            ("rollout wave", "site", "checklist", "handover"),
        ),
    ),
    Customer(
        "c_mktg", "Customer Marketing Platform", "program_leader", "Marketing", 2, 3,
        "marketing.platform@example.org",
        CustomerProfile(
            "Moves campaign tooling to a new vendor platform; useful, but not on the strategic "
            "list.",
            "Marketing managers and the agencies that run campaigns for them.",
            ("Visibility for the program with marketing leadership",
             "Material that looks like marketing's own"),
            ("Branded, polished status material", "A separate view of marketing launch dates"),
            ("campaign", "launch", "brand", "audience"),
        ),
    ),
    Customer(
        "c_payments", "Payments Platform Team", "delivery_team", "Digital & Technology", 4, 5,
        "payments.team@example.org",
        CustomerProfile(
            "Keeps card and instant payments running while shipping changes every week.",
            "Every channel that takes or sends money for the group.",
            ("Autonomy over how the team works", "Never reporting the same thing twice"),
            ("Early notice of upstream interface changes",
             "Status drawn from data the team already keeps"),
            ("sprint", "pipeline", "incident", "release train"),
        ),
    ),
    Customer(
        "c_datateam", "Data Migration Team", "delivery_team", "Group Finance", 3, 2,
        "data.migration@example.org",
        CustomerProfile(
            "Moves twenty years of ledger and supplier data into the new ERP.",
            "The ERP program, and finance users who need clean data on day one.",
            ("Clear instructions", "Fewer all-night rehearsals"),
            ("A cutover plan that someone owns", "Knowing which templates are really required"),
            ("rehearsal", "load", "reconciliation", "cutover"),
        ),
    ),
    Customer(
        "c_mobile", "Mobile App Team", "delivery_team", "Digital & Technology", 3, 4,
        "mobile.team@example.org",
        CustomerProfile(
            "Builds the customer app most customers use every week.",
            "Retail customers and the contact centre that supports them.",
            ("A stable team", "Reusing what other teams have already learned"),
            ("No surprise reassignment of people mid-release",
             "Finding past decisions and lessons quickly"),
            ("backlog", "release", "squad", "velocity"),
        ),
    ),
    Customer(
        "c_hr", "HR Business Partners", "functional_partner", "People", 3, 2,
        "hr.partners@example.org",
        CustomerProfile(
            "Finds, moves and develops the people that projects need.",
            "Line managers and employees across the group.",
            ("Enough notice to staff projects properly",
             "Fair treatment of people moved between projects"),
            ("Staffing forecasts a quarter ahead", "Clear role profiles for project roles"),
            ("headcount", "role profile", "notice period", "capability"),
        ),
    ),
    Customer(
        "c_procurement", "Procurement and Vendor Management", "functional_partner", "Procurement",
        3, 3, "procurement@example.org",
        CustomerProfile(
            "Negotiates and manages the supplier contracts projects rely on.",
            "Every budget holder who buys services or software.",
            ("Planned requests instead of urgent ones", "Contracts that match approved scope"),
            ("Earlier sight of supplier needs", "Faster contractor onboarding"),
            ("contract", "lead time", "statement of work", "supplier"),
        ),
    ),
    Customer(
        "c_security", "Information Security Office", "functional_partner", "Security", 4, 4,
        "security.office@example.org",
        CustomerProfile(
            "Keeps the group compliant and its systems safe to change.",
            "Regulators, customers and every team that changes a system.",
            ("Being involved early rather than at the end", "Evidence without chasing it"),
            ("Security checkpoints planned into every project", "Fewer emergency reviews"),
            ("control", "threat model", "exception", "evidence"),
        ),
    ),
    Customer(
        "c_audit", "Internal Audit", "other", "Internal Audit", 3, 4, "internal.audit@example.org",
        CustomerProfile(
            "Gives the audit committee independent assurance on how change is governed.",
            "The audit committee and the board.",
            ("Decisions that can be traced", "Consistent records across projects"),
            ("An approval trail for scope changes", "Decision logs available without asking"),
            ("assurance", "finding", "control evidence", "audit trail"),
        ),
    ),
)


SERVICES: tuple[Service, ...] = (
    Service(
        "exec_dashboard", "reporting", "Executive portfolio dashboard",
        "One screen per initiative and for the whole portfolio: health, spend against plan, "
        "decisions waiting and risks above threshold, refreshed weekly from project data.",
        ("executive", "program_leader"),
        (
            _vp("executive", "In one minute I see where the portfolio is off track and which "
                "decisions are waiting for me.", "1 analyst-day per week"),
            _vp("program_leader", "My program's health reaches the executives without me "
                "building another slide deck.", "30 minutes per week to confirm the data"),
        ),
        "Priya Raman", 40,
        _launch(
            "Executives asked for one place to see the portfolio instead of a dozen slide packs.",
            "Two sponsors trial the dashboard in their own leadership meetings.",
            _pilot(("c_coo", "c_cfo"),
                   "Both pilot executives run two consecutive leadership meetings from the "
                   "dashboard instead of slide packs.", 30),
            "Both pilot executives dropped their slide packs; opening it to all sponsors.",
        ),
    ),
    Service(
        "status_pack", "reporting", "Weekly project status report",
        "A standard weekly report per project covering progress, next steps, risks and asks, "
        "compiled by the PMO and sent to sponsors on a fixed day.",
        ("program_leader", "delivery_team", "executive"),
        (
            _vp("program_leader", "My sponsors get the same story every week and stop calling me "
                "for updates.", "1 hour of project manager time per week"),
            _vp("delivery_team", "We answer status questions once, on a fixed day, instead of "
                "all week long.", "30 minutes per team per week"),
            _vp("executive", "Every project I sponsor reports the same way, so I can compare "
                "them.", "2 analyst-days per week across the portfolio"),
        ),
        "Priya Raman", 120,
        _launch(
            "Sponsors were getting status in a different shape from every project.",
            "Trial the common format on the ERP program and one of its teams.",
            _pilot(("c_erp", "c_datateam"),
                   "The ERP sponsor stops asking for separate updates for four weeks.", 28),
            "Sponsor calls for ad-hoc updates dropped; rolling the format out to every project.",
        )
        + (
            ServiceMove("improving", "Teams say the report costs more time than it saves; "
                        "cutting it down to five fields."),
            ServiceMove("active", "Five-field report released to all projects."),
        ),
    ),
    Service(
        "stage_gate", "governance", "Stage-gate reviews",
        "Go/no-go reviews at idea, business case, build and launch, each with a short checklist "
        "and a recorded decision.",
        ("executive", "program_leader", "functional_partner", "other"),
        (
            _vp("executive", "I decide to go on or stop at the right moments, with the facts in "
                "front of me.", "2 hours of sponsor time per gate"),
            _vp("program_leader", "I know exactly what I must show to pass a gate and get an "
                "answer the same week.", "1 to 2 days of preparation per gate"),
            _vp("functional_partner", "Our security, supplier and people checks are on the "
                "checklist, so launch holds no surprises for us.", "1 hour per gate per partner"),
            _vp("other", "Every gate decision is recorded with who approved it and why, ready "
                "to sample.", "none"),
        ),
        "Tomás Ferreira", 25,
        _launch(
            "Large investments were being approved on slideware with no later checkpoints.",
            "Run the gates on two initiatives with the Security Office at the table.",
            _pilot(("c_cdo", "c_erp", "c_security"),
                   "Every gate in the pilot ends with a recorded decision within five working "
                   "days.", 45),
            "Pilot gates all closed with recorded decisions; gates become mandatory for "
            "investments above the threshold.",
        ),
    ),
    Service(
        "decision_desk", "governance", "Decision escalation desk",
        "A standing route for escalated decisions: the PMO frames the options on one page and "
        "gets a named executive's decision within two working days, between steering meetings.",
        ("executive", "program_leader"),
        (
            _vp("executive", "Decisions reach me as clear options and I can settle them between "
                "meetings.", "15 minutes per decision"),
            _vp("program_leader", "A blocked decision costs me two days instead of three weeks.",
                "1 hour to write the decision request"),
        ),
        "Tomás Ferreira", 30,
        (
            ServiceMove("in_design", "Operations reported decisions waiting weeks for the next "
                        "steering committee."),
            ServiceMove(
                "pilot", "Trial with two executives and the two programs that escalate most.",
                pilot=_pilot(("c_coo", "c_cfo", "c_erp", "c_branch"),
                             "Eight in ten escalations decided within two working days, and "
                             "pilot customers rate the desk 4 or better.", 45),
            ),
        ),
    ),
    Service(
        "partner_engagement", "governance", "Partner engagement agreements",
        "A one-page agreement per project saying when HR, procurement, security and finance are "
        "involved, who decides what, and how much notice each needs.",
        ("functional_partner", "program_leader"),
        (
            _vp("functional_partner", "We hear about project needs at a planned moment with "
                "proper notice, not as emergencies.", "Half a day per project to agree"),
            _vp("program_leader", "I know whom to call in each partner team and how long they "
                "need.", "2 hours at project start"),
        ),
        "Tomás Ferreira", 15,
        _launch(
            "Partner teams kept learning about project needs days before they were due.",
            "Agree engagement terms on the ERP program with HR and procurement.",
            _pilot(("c_procurement", "c_hr", "c_erp"),
                   "No urgent partner request on the ERP program during the pilot.", 40),
            "The ERP program ran a quarter without an urgent partner request; offering it to "
            "every new project.",
        ),
    ),
    Service(
        "plan_health", "schedule", "Plan upkeep and schedule health checks",
        "The PMO keeps integrated plans current and runs a monthly check on the critical path, "
        "float and overdue milestones.",
        ("program_leader", "delivery_team"),
        (
            _vp("program_leader", "I see slippage on the critical path weeks before a milestone "
                "is missed.", "1 planner-day per program per month"),
            _vp("delivery_team", "Someone keeps the plan straight so we can keep building.",
                "1 hour per team per month for updates"),
        ),
        "Hannah Okafor", 20,
        _launch(
            "Plans were drawn up at kickoff and never touched again.",
            "Monthly health checks on the ERP plan and its migration stream.",
            _pilot(("c_erp", "c_datateam"),
                   "At least one slip caught a month before its milestone.", 35),
            "Health checks caught two slips early in the pilot; adding every major program.",
        ),
    ),
    Service(
        "risk_clinic", "risk", "Fortnightly risk clinic",
        "Forty-five minutes every two weeks in which a risk specialist works through a project's "
        "top risks with the team and agrees an owner and an action for each.",
        ("program_leader", "delivery_team"),
        (
            _vp("program_leader", "Risks get an owner and an action between steering meetings, "
                "before they turn into issues.", "45 minutes every two weeks"),
            _vp("delivery_team", "We raise what worries us and leave with someone accountable "
                "for it.", "45 minutes every two weeks for two team members"),
        ),
        "Hannah Okafor", 16,
        (
            ServiceMove("in_design", "A monthly risk review was too slow to stop risks becoming "
                        "issues."),
            ServiceMove(
                "pilot", "Trial on one program and one product team.",
                pilot=_pilot(("c_erp", "c_mobile"),
                             "Fewer than two risks per pilot project become issues while the "
                             "pilot runs.", 60),
            ),
        ),
    ),
    Service(
        "capacity_planning", "resources", "Capacity and allocation planning",
        "A monthly cross-project view of who is allocated where, with a forecast of demand for "
        "scarce roles over the next quarter.",
        ("program_leader", "delivery_team", "functional_partner"),
        (
            _vp("program_leader", "I know which people I can count on next quarter before I "
                "commit to dates.", "2 analyst-days per month"),
            _vp("delivery_team", "Our team stays together long enough to finish what it "
                "started.", "none for the team"),
            _vp("functional_partner", "We see staffing needs a quarter ahead and can hire or "
                "move people in time.", "Half a day per month for HR review"),
        ),
        "Lukas Brandt", 12,
        _launch(
            "Projects were competing for the same specialists without anyone seeing it.",
            "Build the first cross-project allocation view with HR for the ERP program.",
            _pilot(("c_erp", "c_hr"), "One quarter's staffing forecast agreed with HR.", 30),
            "Forecast agreed for the ERP program; extending the view to all projects.",
        ),
    ),
    Service(
        "contractor_onboarding", "resources", "Contractor onboarding",
        "One complete request that sets up a contractor's contract, access, equipment and "
        "induction, so they are productive in their first week.",
        ("functional_partner", "program_leader", "delivery_team"),
        (
            _vp("functional_partner", "Every contractor request arrives complete, so we sign "
                "and set up in days, not weeks.", "1 procurement-day per batch of requests"),
            _vp("program_leader", "New contractors are productive in week one instead of week "
                "six.", "1 hour per request"),
            _vp("delivery_team", "New people have a laptop and access on their first morning.",
                "none"),
        ),
        "Lukas Brandt", 20,
        (
            ServiceMove("in_design", "Procurement and two programs report six-week onboarding "
                        "delays costing each project its first month."),
        ),
    ),
    Service(
        "delivery_playbook", "methods", "Delivery playbook",
        "A compact set of methods, templates and minimum standards for running projects, scaled "
        "to project size.",
        ("program_leader", "delivery_team"),
        (
            _vp("program_leader", "My project managers follow one way of working, so I can "
                "compare their projects and help them.", "1 day of onboarding per project manager"),
            _vp("delivery_team", "We know the few things we must do and run the rest our own "
                "way.", "2 hours to read"),
        ),
        "Mei Lin Chua", 50,
        _launch(
            "Each project was inventing its own documents and vocabulary.",
            "Trial the playbook with the branch rollout and the migration team.",
            _pilot(("c_branch", "c_datateam"),
                   "Both pilot customers can name what is mandatory for their project.", 30),
            "Pilot teams adopted it; publishing it to every project.",
        )
        + (
            ServiceMove("improving", "Mature teams call the playbook too heavy; making most "
                        "templates optional by project size."),
        ),
    ),
    Service(
        "maturity_assessment", "methods", "Delivery maturity assessment",
        "A short, repeatable assessment of a unit's delivery practices, followed by an "
        "improvement path that fits where it stands.",
        ("executive", "delivery_team"),
        (
            _vp("executive", "I know which units need support before their projects get into "
                "trouble.", "3 analyst-days per unit"),
            _vp("delivery_team", "We get advice that fits where we are, not a generic "
                "improvement plan.", "Half a day of team workshop"),
        ),
        "Mei Lin Chua", 4,
        (
            ServiceMove("in_design", "The digital executive asked how to aim coaching where it "
                        "is needed most."),
            ServiceMove("proposed", "Design parked until the playbook rework ends; the idea "
                        "stays on the list."),
        ),
    ),
    Service(
        "pm_onboarding", "training", "Project manager onboarding",
        "A two-week path for new project managers: our methods, tools, the governance calendar "
        "and a buddy.",
        ("program_leader", "delivery_team"),
        (
            _vp("program_leader", "New project managers run a steering meeting on their own "
                "within a month.", "3 trainer-days per cohort"),
            _vp("delivery_team", "New leads understand how we run projects without learning it "
                "the hard way.", "2 weeks part-time"),
        ),
        "Mei Lin Chua", 10,
        _launch(
            "New project managers were learning our governance by getting it wrong.",
            "First cohort drawn from the branch rollout's new site leads.",
            _pilot(("c_branch",), "Every pilot site lead runs a steering meeting alone within "
                   "a month.", 30),
            "All pilot site leads met the goal; cohorts now start every quarter.",
        ),
    ),
    Service(
        "delivery_coaching", "training", "On-the-job delivery coaching",
        "A PMO coach works alongside a project manager or team for six weeks on their real "
        "project.",
        ("program_leader", "delivery_team"),
        (
            _vp("program_leader", "My less experienced project managers get better on the job, "
                "not in a classroom.", "1 coach-day per week for six weeks"),
            _vp("delivery_team", "We get help with our actual plan and risks, not theory.",
                "2 hours per week"),
        ),
        "Mei Lin Chua", 6,
        _launch(
            "Training alone was not changing how struggling projects were run.",
            "Coach one rollout wave and the migration rehearsal plan.",
            _pilot(("c_branch", "c_datateam"), "The coached rollout wave lands on its planned "
                   "date.", 42),
            "The coached wave landed on time; coaching opens to any low-maturity team.",
        ),
    ),
    Service(
        "portfolio_intake", "portfolio", "Portfolio intake and prioritisation",
        "One front door for new initiative ideas, a light scoring against strategy, and a "
        "quarterly prioritisation with the executive team.",
        ("executive", "program_leader", "functional_partner"),
        (
            _vp("executive", "We fund the initiatives that matter most and stop starting more "
                "than we can finish.", "1 executive workshop per quarter"),
            _vp("program_leader", "My idea gets a clear yes, no or not-yet within a month.",
                "2 hours to submit an idea"),
            _vp("functional_partner", "We see what is coming next quarter and plan our people "
                "and contracts for it.", "1-hour quarterly read-out"),
        ),
        "Daniel Osei", 30,
        _launch(
            "New initiatives were starting through side doors with no comparison between them.",
            "One quarter of intake run for Operations with procurement in the read-out.",
            _pilot(("c_coo", "c_erp", "c_procurement"),
                   "Every Operations idea gets a decision within a month.", 90),
            "Operations ideas were all decided within a month; intake opens group-wide.",
        ),
    ),
    Service(
        "benefits_tracking", "benefits", "Benefits realisation tracking",
        "Each approved investment gets named benefit owners, a baseline, and a quarterly "
        "measurement until its benefits are realised.",
        ("executive", "program_leader", "functional_partner"),
        (
            _vp("executive", "I see whether the investments I approved are paying back.",
                "1 analyst-day per investment per quarter"),
            _vp("program_leader", "I can show the value my program created, not just that it "
                "finished.", "Half a day per quarter"),
            _vp("functional_partner", "Savings we negotiate are counted and credited where they "
                "belong.", "2 hours per quarter"),
        ),
        "Daniel Osei", 10,
        (
            ServiceMove("in_design", "The CFO office cannot tell which investments pay back."),
            ServiceMove(
                "pilot", "Track benefits for four approved investments over one quarter.",
                pilot=_pilot(("c_cfo", "c_coo", "c_erp", "c_procurement"),
                             "Every pilot investment has a named benefit owner and a baseline, "
                             "and the CFO office rates the quarterly report 4 or better.", 30),
            ),
        ),
    ),
    Service(
        "lessons_library", "knowledge", "Lessons learned library",
        "A shared folder of end-of-project lessons-learned documents.",
        ("program_leader", "delivery_team"),
        (
            _vp("program_leader", "We avoid repeating other programs' mistakes.",
                "Half a day at each project close"),
            _vp("delivery_team", "We can read what went wrong last time before we start.",
                "none"),
        ),
        "Sofia Marques", 8,
        _launch(
            "Closing projects had nowhere to leave what they learned.",
            "Collect lessons from the ERP program's first release and the app team.",
            _pilot(("c_erp", "c_mobile"), "Both pilot customers file lessons at release end.", 20),
            "Lessons were filed; the folder opens to every project.",
        )
        + (
            ServiceMove("retired", "Nobody could find anything in the folder; its lessons move "
                        "into the searchable knowledge hub.", replacement_key="knowledge_hub"),
        ),
    ),
    Service(
        "knowledge_hub", "knowledge", "Searchable knowledge hub",
        "A searchable hub of lessons, decisions, templates and contacts from past projects, "
        "tagged by topic and curated by the PMO.",
        ("program_leader", "delivery_team", "functional_partner"),
        (
            _vp("program_leader", "Before a big decision I can see how others handled the same "
                "one.", "Half a day at each project close"),
            _vp("delivery_team", "We find last year's vendor notes in a minute instead of asking "
                "around for a week.", "none"),
            _vp("functional_partner", "Our standard clauses and role profiles are where projects "
                "look first.", "1 hour per quarter to keep ours current"),
        ),
        "Sofia Marques", 25,
        _launch(
            "The lessons folder was unused because nothing in it could be found.",
            "Trial search and tagging with three customers who asked for it.",
            _pilot(("c_mobile", "c_branch", "c_hr"),
                   "Pilot users find a relevant past lesson in under five minutes.", 30),
            "Pilot users found what they needed quickly; the hub replaces the old folder.",
        ),
    ),
    Service(
        "steerco_secretariat", "administration", "Steering committee secretariat",
        "The PMO books steering meetings, prepares agendas and papers, takes minutes and chases "
        "actions until they close.",
        ("executive", "program_leader", "other"),
        (
            _vp("executive", "Meetings start on time with the right papers and end with the "
                "decisions written down.", "Half an analyst-day per meeting"),
            _vp("program_leader", "Actions from the steering committee are chased for me.",
                "none"),
            _vp("other", "Every meeting leaves a decision record we can sample without asking.",
                "none"),
        ),
        "Sofia Marques", 40,
        _launch(
            "Steering papers arrived late and actions were lost between meetings.",
            "Run the secretariat for the Operations and ERP steering committees.",
            _pilot(("c_coo", "c_erp"), "Papers out two days ahead for every pilot meeting.", 30),
            "Every pilot meeting had its papers on time; the secretariat serves all committees.",
        ),
    ),
    Service(
        "self_service_reports", "reporting", "Self-service report builder",
        "Teams build their own portfolio and project reports from the PMO's data, without "
        "raising a request.",
        ("delivery_team", "executive"),
        (
            _vp("delivery_team", "We pull the numbers we need ourselves, when we need them.",
                "1 day to learn the tool"),
            _vp("executive", "My staff answer my questions in minutes without a request to the "
                "PMO.", "A licence per regular user"),
        ),
        "Priya Raman", 15,
    ),
)


# The first four demands are one need seen from four segments: dependencies between
# initiatives surface too late. The c_mktg items are many small asks from one voice. Together
# they make ranking fairness visible: shared need should beat volume.
# Positional fields after the words: kind, function_code, service_key, severity, urgency,
# reach (people), effort_estimate (PMO person-days), due_in_days, tags, then status moves.
DEMANDS: tuple[Demand, ...] = (
    Demand(
        "dep_erp", "c_erp", "Dependencies between programs surface too late",
        "Our releases depend on changes in at least five other initiatives, and we learn about "
        "their slips at their go-live, not when the slip happens. Last quarter two cutover "
        "weekends were cancelled because an integration we needed was not ready and nobody "
        "told us.",
        "One maintained map of dependencies between programs, with owners and dates, and a "
        "warning when a date we depend on moves.",
        "new_service", "schedule", None, 4, 4, 150, 20, 60,
        ("dependencies", "cross-project", "planning"),
        (DemandMove("triaged", "Same need raised from three other segments; grouped with them."),),
    ),
    Demand(
        "dep_payments", "c_payments", "Upstream interface changes reach us at go-live",
        "Other projects change interfaces our payment services call, and we find out when "
        "traffic fails in end-to-end testing. Each time we lose a sprint re-planning.",
        "Notice of interface changes at least one sprint ahead, with a named contact in the "
        "other team.",
        "pain_point", "schedule", None, 4, 3, 25, 8, None, ("dependencies", "integration"),
    ),
    Demand(
        "dep_coo", "c_coo", "Steering decisions ignore knock-on effects",
        "When the steering committee moves a date or cuts scope on one initiative, nobody can "
        "say which other initiatives are affected. We found out a month later that delaying "
        "the warehouse project had stalled two others.",
        "Before we decide, a short list of the other initiatives the decision would touch.",
        "new_service", "schedule", None, 4, 3, 300, 15, None,
        ("dependencies", "cross-project", "decisions"),
    ),
    Demand(
        "dep_procurement", "c_procurement", "Supplier work ordered before the project it needs "
        "is approved",
        "We are asked to sign statements of work for suppliers whose work depends on another "
        "project that has not passed its gate. Twice this year we paid cancellation fees when "
        "that other project was stopped.",
        "See the dependency and its approval status before we commit money to a supplier.",
        "pain_point", "schedule", None, 3, 3, 12, 5, None, ("dependencies", "suppliers"),
    ),
    Demand(
        "mktg_colours", "c_mktg", "Dashboard colours clash with the marketing palette",
        "The executive dashboard uses the PMO's default colours, which clash with our brand "
        "guidelines when we paste screenshots into marketing decks.",
        "Our brand palette on our program's tiles.",
        "service_change", "reporting", "exec_dashboard", 1, 5, 3, 3, None,
        ("branding", "dashboard"),
    ),
    Demand(
        "mktg_logo", "c_mktg", "Program logo on the weekly status report",
        "Our status report looks like every other one, so marketing leaders do not recognise it "
        "as ours in their inbox.",
        "Our program logo in the report header.",
        "service_change", "reporting", "status_pack", 1, 5, 2, 2, None,
        ("branding", "status-report"),
    ),
    Demand(
        "mktg_logo_again", "c_mktg", "Logo on the status report (raised again)",
        "Raising the logo request a second time because we have not heard back yet.",
        None,
        "support_request", "reporting", "status_pack", 1, 5, 2, 1, None,
        ("branding", "status-report"),
        (DemandMove("withdrawn", "Withdrawn by the customer: duplicate of the earlier logo "
                    "request."),),
    ),
    Demand(
        "mktg_rename", "c_mktg", "Rename the RAG column to 'Health'",
        "Marketing leaders do not know what RAG stands for and ask us every week.",
        "A plain-language column name in our report.",
        "service_change", "reporting", "status_pack", 2, 4, 4, 1, None,
        ("status-report", "wording"),
    ),
    Demand(
        "mktg_font", "c_mktg", "Status report text too small on laptops",
        "On a laptop screen the status report is hard to read without zooming in.",
        "A larger font.",
        "pain_point", "reporting", "status_pack", 1, 4, 3, 1, None, ("status-report", "formatting"),
    ),
    Demand(
        "mktg_tab", "c_mktg", "A separate dashboard tab for marketing launches",
        "Our campaign launch dates are mixed in with every other milestone, so our leadership "
        "filters the dashboard each time they open it.",
        "A tab that shows marketing launches only.",
        "service_change", "reporting", "exec_dashboard", 2, 5, 5, 8, 14, ("dashboard", "branding"),
    ),
    Demand(
        "mktg_time", "c_mktg", "Status email arrives a few minutes late",
        "The weekly status email lands at 8:05 instead of 8:00, after our team huddle has "
        "started.",
        "Delivery before 8:00.",
        "support_request", "reporting", "status_pack", 1, 5, 2, 1, None, ("status-report",),
    ),
    Demand(
        "mktg_slides", "c_mktg", "Status report as slides in our template",
        "Our leadership reads slides, not email, so each week we copy the status report into "
        "our own slide template, which takes about an hour.",
        "A slide export in the marketing template.",
        "service_change", "reporting", "status_pack", 2, 5, 2, 6, 10, ("status-report", "branding"),
    ),
    Demand(
        "cfo_spend", "c_cfo", "Spend and benefits live in different reports",
        "To see whether an investment pays back, my team joins the PMO's spend report with "
        "three benefit spreadsheets by hand each quarter, and the numbers rarely agree.",
        "One view of spend against forecast and realised benefit for each investment.",
        "service_change", "reporting", "exec_dashboard", 4, 3, 15, 12, 75,
        ("benefits", "finance", "dashboard"),
        (DemandMove("triaged", "Confirmed with the CFO office; overlaps the benefits pilot "
                    "data."),),
    ),
    Demand(
        "cfo_owners", "c_cfo", "No named benefit owner on approved cases",
        "About half of the business cases approved last year name nobody accountable for the "
        "benefits, so no one reports them once the project closes.",
        "A named benefit owner on every approved case, checked at the gate.",
        "pain_point", "benefits", "benefits_tracking", 4, 3, 30, 6, None,
        ("benefits", "accountability"),
    ),
    Demand(
        "coo_decisions", "c_coo", "Decisions wait weeks for the next steering meeting",
        "Projects stall while a decision waits for the monthly steering committee; last quarter "
        "the average wait was nineteen days.",
        "Routine escalations decided within a few working days.",
        "pain_point", "governance", "decision_desk", 5, 4, 200, 10, 45, ("decisions", "governance"),
        (
            DemandMove("triaged", "Matches the decision desk now in pilot."),
            DemandMove("planned", "Roll the desk out to every Operations initiative when the "
                       "pilot ends."),
        ),
    ),
    Demand(
        "coo_intake_form", "c_coo", "The idea form asks for numbers nobody has yet",
        "Managers give up on the intake form because it wants a full cost and benefit estimate "
        "at the idea stage; good ideas reach us through side channels instead.",
        "A short idea form, with detailed numbers only at the business case.",
        "service_change", "portfolio", "portfolio_intake", 3, 2, 60, 4, None,
        ("intake", "simplification"),
    ),
    Demand(
        "cdo_gate", "c_cdo", "Small changes carry the full gate paperwork",
        "A two-week configuration change goes through the same four gates and documents as a "
        "year-long program, so teams batch small changes into large, riskier releases.",
        "A light path through the gates for low-risk change.",
        "service_change", "governance", "stage_gate", 3, 3, 80, 15, None,
        ("governance", "simplification"),
        (
            DemandMove("triaged", "Security Office agrees low-risk change needs less ceremony."),
            DemandMove("planned", "Fast track scheduled for this quarter."),
            DemandMove("in_progress", "Drafting a two-question fast track with the Security "
                       "Office."),
        ),
    ),
    Demand(
        "cdo_self_service", "c_cdo", "Let teams build their own reports",
        "My teams wait about a week for each ad-hoc report request to the PMO, for data they "
        "could query themselves.",
        "Self-service access to portfolio data with a few ready-made views.",
        "new_service", "reporting", "self_service_reports", 3, 2, 60, 25, None,
        ("reporting", "self-service"),
    ),
    Demand(
        "branch_coaching", "c_branch", "First-time project managers cannot plan a rollout",
        "Eight of our site leads are running a project for the first time. Their plans are "
        "lists of dates with no dependencies, and three rollout waves have slipped.",
        "Practical help for site leads to build, and keep, a realistic plan.",
        "support_request", "training", "delivery_coaching", 4, 4, 14, 12, 30,
        ("coaching", "planning", "onboarding"),
        (DemandMove("triaged", "Low-maturity team with a live problem: coaching before more "
                    "reporting."),),
    ),
    Demand(
        "branch_standups", "c_branch", "PMO to run our weekly team stand-ups",
        "Site leads have no time to run the weekly stand-ups for the rollout teams.",
        "A PMO analyst runs the stand-ups for us.",
        "support_request", "administration", None, 2, 3, 14, 20, None, ("meetings",),
        (
            DemandMove("triaged", "Reviewed with the program lead."),
            DemandMove("rejected", "Running a team's own stand-ups would take ownership away "
                       "from the site leads; offered facilitation coaching instead."),
        ),
    ),
    Demand(
        "erp_risks", "c_erp", "Risks turn into issues between monthly reviews",
        "We review the risk log once a month at the steering committee. In between, three risks "
        "became issues without anyone acting on them.",
        "Risks reviewed every two weeks, each with a named owner and an action.",
        "service_change", "risk", "risk_clinic", 3, 3, 150, 6, None, ("risk",),
    ),
    Demand(
        "data_cutover", "c_datateam", "Nobody owns the cutover plan",
        "Each migration rehearsal overruns because tasks fall between the ERP program, the "
        "vendor and our team; the last rehearsal finished fourteen hours late.",
        "One maintained cutover plan with an owner for every step.",
        "pain_point", "schedule", "plan_health", 5, 5, 30, 4, 21,
        ("cutover", "planning", "migration"),
    ),
    Demand(
        "data_templates", "c_datateam", "Which templates are mandatory?",
        "The playbook has forty templates and nobody can tell us which ones an audit will ask "
        "for, so we fill them all in.",
        "A short list of what is mandatory for a project of our size.",
        "support_request", "methods", "delivery_playbook", 2, 3, 9, 1, None, ("templates",),
        (
            DemandMove("triaged", "Quick win: the answer exists, it is just not written down."),
            DemandMove("planned", "Take it into this sprint of the playbook rework."),
            DemandMove("in_progress", "Drafting the list with Internal Audit."),
            DemandMove("delivered", "Published a one-page list of mandatory artefacts by "
                       "project size."),
        ),
    ),
    Demand(
        "payments_status", "c_payments", "Status report repeats what our board already shows",
        "Our delivery board already shows progress, risks and blockers. We retype the same "
        "content into the weekly status report, about two hours every week.",
        "The PMO reads our board instead of asking for a report.",
        "service_change", "reporting", "status_pack", 3, 2, 9, 10, None,
        ("status-report", "automation", "simplification"),
        (DemandMove("triaged", "Mature team; candidate for reporting from its own tooling."),),
    ),
    Demand(
        "mobile_reallocation", "c_mobile", "People moved off the team without warning",
        "Twice this quarter a developer was reassigned to another project with a week's notice, "
        "in the middle of a release.",
        "Changes to our team's allocation agreed with us at least a month ahead.",
        "pain_point", "resources", "capacity_planning", 4, 3, 18, 8, None, ("staffing", "capacity"),
    ),
    Demand(
        "mobile_lessons", "c_mobile", "We cannot find what other teams learned",
        "We are choosing a push-notification vendor and know another team made the same choice "
        "last year, but their notes are nowhere we can find.",
        "Search past lessons and decisions by topic.",
        "pain_point", "knowledge", "knowledge_hub", 2, 2, 10, 3, None, ("knowledge", "reuse"),
    ),
    Demand(
        "hr_notice", "c_hr", "Staffing requests arrive with days of notice",
        "Projects ask us for specialists two or three days before they start, while hiring or "
        "moving someone takes six to ten weeks.",
        "A rolling quarter-ahead forecast of staffing needs per project.",
        "pain_point", "resources", "capacity_planning", 4, 4, 40, 10, 45,
        ("staffing", "forecasting"),
        (DemandMove("triaged", "Linked to the capacity planning complaints; same root cause."),),
    ),
    Demand(
        "hr_experience", "c_hr", "Find people who have done this before",
        "When a new program starts we cannot tell who in the group has led something similar, "
        "so experience leaves with every reorganisation.",
        "A way to find colleagues by the projects they have worked on.",
        "new_service", "knowledge", "knowledge_hub", 2, 2, 25, 15, None, ("knowledge", "people"),
    ),
    Demand(
        "procurement_onboarding", "c_procurement", "Contractor onboarding takes six weeks",
        "Contractor requests arrive missing rates, dates or approvals. By the time contract, "
        "access and equipment are sorted, the project has lost a month.",
        "Complete requests and a single onboarding flow.",
        "new_service", "resources", "contractor_onboarding", 4, 3, 35, 18, None,
        ("contractors", "onboarding"),
        (DemandMove("triaged", "Feeds the contractor onboarding design."),),
    ),
    Demand(
        "security_late", "c_security", "Security reviews requested the week before go-live",
        "Most projects ask for a security review days before launch. Findings then either delay "
        "go-live or become risk exceptions that executives sign under pressure.",
        "Security checkpoints built into the gates, with planned dates.",
        "pain_point", "governance", "stage_gate", 4, 4, 20, 5, None, ("security", "governance"),
    ),
    Demand(
        "audit_trail", "c_audit", "Scope change approvals cannot be traced",
        "In our last review we could not show who approved scope changes on four of ten sampled "
        "projects; the approvals were in chat threads and corridor conversations.",
        "Every scope change decision recorded with its approver and date.",
        "pain_point", "administration", "steerco_secretariat", 3, 2, 6, 5, 90, ("audit", "decisions"),
        (
            DemandMove("triaged", "Confirmed on the sampled projects."),
            DemandMove("planned", "Decision log joins the secretariat's minutes template next "
                       "quarter."),
        ),
    ),
)


ENDORSEMENTS: tuple[Endorsement, ...] = (
    Endorsement("dep_erp", "c_mobile", "Our app releases hit the same wall with the card "
                "platform."),
    Endorsement("dep_erp", "c_branch", "Branch waves depend on network upgrades run by another "
                "program; the slips surprise us every time."),
    Endorsement("dep_erp", "c_cdo", "Platform changes ripple into business projects we never "
                "hear from."),
    Endorsement("dep_payments", "c_datateam", "Interface changes from the ERP vendor land on us "
                "without notice too."),
    Endorsement("coo_decisions", "c_cfo", "Investment decisions wait for the same monthly "
                "meeting."),
    Endorsement("hr_notice", "c_procurement", "Contractor requests come with the same short "
                "notice."),
    Endorsement("data_cutover", "c_erp", "The cutover plan is on our critical path as well."),
    Endorsement("security_late", "c_audit", "Late security reviews show up in our findings "
                "too."),
    Endorsement("cfo_owners", "c_coo", "Operations investments have the same gap."),
)


def _fb(
    key: str,
    customer_key: str,
    service_key: str,
    csat: int,
    perceived_value: int,
    nps: int | None,
    effort: int | None,
    comment: str,
    channel: str = "survey",
    demand_key: str | None = None,
) -> FeedbackResponse:
    """Shorthand for a feedback row: scores in contract order, then words."""
    return FeedbackResponse(
        key, customer_key, service_key, csat, perceived_value, nps, effort, comment, channel,
        demand_key,
    )


# Scores read: csat 1..5, perceived value 1..5, nps 0..10 or None, effort 1..7 or None.
FEEDBACK: tuple[FeedbackResponse, ...] = (
    # Active and loved, with demand behind it: a candidate to expand.
    _fb("fb01", "c_coo", "exec_dashboard", 5, 5, 9, 2, "I open it before every leadership "
        "meeting; it replaced three slide packs."),
    _fb("fb02", "c_cfo", "exec_dashboard", 4, 5, 8, 2, "Spend against plan is exactly right; "
        "benefits are still missing.", "interview"),
    _fb("fb03", "c_cdo", "exec_dashboard", 5, 4, 9, 1, "Quick to read. I would like to drill "
        "into the platform initiatives."),
    _fb("fb04", "c_erp", "exec_dashboard", 4, 4, 8, 3, "The program tile tells our story "
        "without extra slides."),
    _fb("fb05", "c_mktg", "exec_dashboard", 4, 3, 7, 2, "Useful, but the colours do not match "
        "our brand.", "portal"),
    _fb("fb06", "c_branch", "exec_dashboard", 5, 4, 9, 2, "Executives finally see the rollout "
        "waves the way we do."),
    # Active, costly for mature teams and of middling value to them: a candidate to simplify.
    _fb("fb07", "c_payments", "status_pack", 3, 2, 5, 6, "We copy our board into the report "
        "every week: two hours for something nobody reads.", "service_review"),
    _fb("fb08", "c_mobile", "status_pack", 3, 2, 6, 6, "Shorter than before, still duplicates "
        "our sprint review."),
    _fb("fb09", "c_mktg", "status_pack", 4, 4, 8, 3, "Works for us once our logo is on it.",
        "portal"),
    _fb("fb10", "c_erp", "status_pack", 3, 3, 7, 5, "Sponsors like it; workstream leads find it "
        "a chore."),
    _fb("fb11", "c_cfo", "status_pack", 4, 3, None, None, "Consistent, but it tells me about "
        "activity rather than value.", "email"),
    # Active with low satisfaction: a candidate to improve.
    _fb("fb12", "c_mobile", "capacity_planning", 2, 2, 3, 5, "The plan said our developer was "
        "free; nobody asked us."),
    _fb("fb13", "c_hr", "capacity_planning", 1, 2, 2, 6, "The forecast reaches us after the "
        "requests, not before.", "interview"),
    _fb("fb14", "c_erp", "capacity_planning", 2, 3, 4, 4, "The numbers are a month old by the "
        "time they reach the steering meeting."),
    _fb("fb15", "c_datateam", "capacity_planning", 2, 2, 5, 5, "We do not understand how to read "
        "the allocation sheet."),
    _fb("fb16", "c_payments", "capacity_planning", 3, 2, 6, 4, "We manage our own capacity; the "
        "monthly sheet adds little.", "service_review"),
    # Pilot that works: a candidate to roll out.
    _fb("fb17", "c_coo", "decision_desk", 5, 5, 10, 1, "Three blocked decisions settled in one "
        "week. Keep it.", "interview", "coo_decisions"),
    _fb("fb18", "c_erp", "decision_desk", 5, 5, 9, 2, "Options framed the way executives think; "
        "it saved us a cutover weekend."),
    _fb("fb19", "c_cfo", "decision_desk", 4, 5, 9, 1, "The one-page requests are right; I decide "
        "faster."),
    _fb("fb20", "c_branch", "decision_desk", 5, 4, 9, 2, "We had an answer on the wave-three "
        "delay in two days."),
    # Pilot that disappoints: back to design.
    _fb("fb21", "c_cfo", "benefits_tracking", 2, 2, 3, 5, "The quarterly report came late and "
        "did not reconcile with finance figures.", "interview"),
    _fb("fb22", "c_erp", "benefits_tracking", 2, 3, 5, 6, "A day per quarter on measurement "
        "templates asking for data we do not own."),
    _fb("fb23", "c_procurement", "benefits_tracking", 1, 2, 2, 6, "The savings we negotiated do "
        "not show up anywhere.", "email"),
    _fb("fb24", "c_coo", "benefits_tracking", 2, 2, 4, 4, "I still cannot tell which investments "
        "pay back."),
    _fb("fb25", "c_erp", "risk_clinic", 4, 4, 8, 3, "Two risks got owners that would have waited "
        "a month."),
    _fb("fb26", "c_mobile", "risk_clinic", 4, 3, 7, 3, "Useful, though every two weeks is a lot "
        "for a small team."),
    _fb("fb27", "c_datateam", "delivery_playbook", 5, 5, 9, 2, "The one-page list of mandatory "
        "artefacts saved us days.", "survey", "data_templates"),
    _fb("fb28", "c_payments", "delivery_playbook", 2, 2, 4, 6, "Far too heavy for a team that "
        "ships every week.", "service_review"),
    _fb("fb29", "c_branch", "delivery_playbook", 4, 4, 8, 3, "Our new site leads lean on it."),
    _fb("fb30", "c_branch", "pm_onboarding", 5, 5, 9, 2, "Two site leads ran their first "
        "steering meeting alone after three weeks."),
    _fb("fb31", "c_branch", "delivery_coaching", 5, 5, 10, 2, "The coach rebuilt our wave plan "
        "with us and the next wave landed on time.", "interview"),
    _fb("fb32", "c_datateam", "delivery_coaching", 4, 5, 9, 3, "Practical help with our real "
        "rehearsal plan."),
    _fb("fb33", "c_cdo", "stage_gate", 2, 3, 4, 6, "The same paperwork for a two-week change as "
        "for a program.", "interview"),
    _fb("fb34", "c_security", "stage_gate", 3, 4, 7, 4, "Good that security is on the checklist, "
        "but it comes too late."),
    _fb("fb35", "c_audit", "stage_gate", 4, 4, None, 3, "Gate decisions are recorded "
        "consistently.", "email"),
    _fb("fb36", "c_coo", "portfolio_intake", 3, 4, 7, 5, "The right process, but the form is too "
        "long at the idea stage."),
    _fb("fb37", "c_procurement", "portfolio_intake", 4, 4, 8, 3, "The quarterly read-out helps "
        "us plan supplier work."),
    _fb("fb38", "c_mobile", "knowledge_hub", 4, 4, 8, 2, "Search works; still thin on older "
        "projects.", "portal"),
    _fb("fb39", "c_hr", "knowledge_hub", 3, 3, 6, 3, "Helpful for documents, not for finding "
        "people.", "portal"),
    _fb("fb40", "c_coo", "steerco_secretariat", 5, 4, 9, 1, "Papers arrive two days ahead and "
        "actions get chased."),
    _fb("fb41", "c_audit", "steerco_secretariat", 4, 4, 8, 2, "Minutes are consistent; decision "
        "records could be more explicit.", "email"),
    _fb("fb42", "c_procurement", "partner_engagement", 4, 4, 8, 3, "We now hear about supplier "
        "needs when a project starts."),
    _fb("fb43", "c_erp", "plan_health", 4, 4, 8, 3, "The critical-path check caught a slip five "
        "weeks early."),
)
