"""The database tables, in the business's words, by what they are about (one module each);
import them from here."""
from .base import (  # noqa: F401
    UTCDateTime,
    Base,
)
from .orders import (  # noqa: F401
    User,
    TechnicianSkill,
    TechnicianArea,
    Address,
    Appliance,
    ServiceOrder,
    OrderEvent,
    BookingWindow,
    SalesOrder,
    SalesLookup,
    Invite,
    Brand,
    Conversation,
    HandledUpdate,
)
from .stock import (  # noqa: F401
    Part,
    LabourItem,
    Warehouse,
    StockLevel,
    StockMovement,
    VanRequest,
    VanRequestLine,
    CountSheet,
    CountSheetLine,
)
from .job import (  # noqa: F401
    Diagnosis,
    Quote,
    QuoteLine,
    MissingPart,
    ReplacedPart,
    Completion,
    Rating,
    WarrantyClaimPart,
    Reminder,
)
from .records import (  # noqa: F401
    TriageHistory,
    PartsRequest,
    SummaryDay,
    SummaryMark,
    SummaryState,
    BillCheck,
    CashSettlement,
    Complaint,
    ComplaintEvent,
)
