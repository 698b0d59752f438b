"""Imports every table so Base.metadata is complete (Alembic, tests, create_all).

Each domain adds its models module here.
"""

from core.console import models as console_models  # noqa: F401
from core.conversation import models as conversation_models  # noqa: F401
from core.delivery import models as delivery_models  # noqa: F401
from core.feedback import models as feedback_models  # noqa: F401
from core.meetings import models as meetings_models  # noqa: F401
from core.notices import models as notices_models  # noqa: F401
from core import audit as audit_models  # noqa: F401
from core.orgs import models as orgs_models  # noqa: F401
from core.listening import models as listening_models  # noqa: F401
from core.reporting import models as reporting_models  # noqa: F401
from core.resolutions import models as resolutions_models  # noqa: F401
from core.scheduling import models as scheduling_models  # noqa: F401
from core.votes import models as votes_models  # noqa: F401

from core.db import Base  # noqa: E402

metadata = Base.metadata
