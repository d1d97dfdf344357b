"""Import every model module, so ``Base.metadata`` knows all tables (Alembic, tests)."""


def load_all() -> None:
    from .accounts import models as _accounts  # noqa: F401
    from .comments import models as _comments  # noqa: F401
    from .mail import models as _mail  # noqa: F401
    from .moderation import models as _moderation  # noqa: F401
    from .pages import models as _pages  # noqa: F401
    from .proposals import models as _proposals  # noqa: F401
    from .ratings import models as _ratings  # noqa: F401
    from .rounds import models as _rounds  # noqa: F401
    from .strategy import models as _strategy  # noqa: F401
    from .versions import models as _versions  # noqa: F401
