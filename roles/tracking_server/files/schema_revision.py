# Run inside the MLflow server image by the role (python -c): prints one JSON line with the
# schema revision(s) of the database in MLFLOW_BACKEND_STORE_URI and the head revision(s) of
# the mlflow in the image, and the database revisions that mlflow does not know (migrated by a
# newer MLflow). An empty database has no revision. Errors are reported in the JSON,
# without the URI (it carries the password).
import json
import os
import sys

result = {"current": [], "heads": [], "unknown": [], "error": ""}
try:
    import mlflow.store.db_migrations
    import sqlalchemy
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(os.path.dirname(mlflow.store.db_migrations.__file__))
    result["heads"] = sorted(script.get_heads())
    uri = os.environ["MLFLOW_BACKEND_STORE_URI"]
    connect_args = {"connect_timeout": 10} if uri.startswith("postgresql") else {}
    engine = sqlalchemy.create_engine(uri, connect_args=connect_args)
    with engine.connect() as connection:
        result["current"] = sorted(MigrationContext.configure(connection).get_current_heads())
    engine.dispose()
    for revision in result["current"]:
        try:
            script.get_revision(revision)
        except Exception:  # noqa: BLE001 - alembic raises several types for an unknown revision
            result["unknown"].append(revision)
except Exception as error:  # noqa: BLE001 - every failure is reported, none is fatal here
    lines = str(error).strip().splitlines()
    result["error"] = "{0}: {1}".format(type(error).__name__, lines[0] if lines else "")
json.dump(result, sys.stdout)
sys.stdout.write("\n")
