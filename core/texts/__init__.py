"""Every Vietnamese word a person reads lives in this package, one module per domain.

Short, plain, respectful: members are addressed as "đồng chí".
"""

from core.texts import account, common  # noqa: E402,F401  (domains add their module here)
from core.texts import files  # noqa: E402,F401
from core.texts import feedback  # noqa: E402,F401
from core.texts import meetings  # noqa: E402,F401
from core.texts import api, management  # noqa: E402,F401
from core.texts import delivery, notices  # noqa: E402,F401
from core.texts import reminders  # noqa: E402,F401
from core.texts import reports, resolutions  # noqa: E402,F401
from core.texts import conversation  # noqa: E402,F401
from core.texts import catchup  # noqa: E402,F401
from core.texts import fallback  # noqa: E402,F401
from core.texts import media  # noqa: E402,F401
from core.texts import console  # noqa: E402,F401
from core.texts import console_desk  # noqa: E402,F401
from core.texts import recordings  # noqa: E402,F401
from core.texts import votes  # noqa: E402,F401
from core.texts import training  # noqa: E402,F401
