"""Background jobs of the org app: imports confirmed in the web UI."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django_tasks import task

from clusterwise.core.jobs import job_finish, job_progress
from clusterwise.core.models import Job
from clusterwise.core.scope import scope_paths
from clusterwise.core.tabular import read_rows

from . import imports, services


@task()
def run_import(job_id: str) -> None:
    """Re-check the uploaded file against the tree as it is now, then apply it."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    try:
        with job.file.open("rb") as fh:
            rows = read_rows(fh, job.original_name)
        within = scope_paths(job.created_by) if job.created_by else ()
        if job.kind == "import_org":
            plan = imports.plan_org_import(rows, within=within)
            apply = services.org_import_apply
        else:
            plan = imports.plan_people_import(rows, within=within)  # type: ignore[assignment]
            apply = services.people_import_apply  # type: ignore[assignment]
        if not plan.ok:
            job_finish(job=job, error="\n".join(str(e) for e in plan.errors[:200]))
            return
        result = apply(plan=plan, by=job.created_by, progress=job_progress(job))  # type: ignore[arg-type]
    except (ValidationError, ValueError) as exc:
        job_finish(job=job, error=str(exc))
        return
    except Exception:
        # Never leave a job "running" for ever; the worker logs the traceback.
        job_finish(job=job, error="The import failed unexpectedly; nothing was written.")
        raise
    job.refresh_from_db()
    job_finish(job=job, result=result)


@task()
def refresh_figures(paths: list[str]) -> int:
    """Recompute the kept home-page figures of these subtrees (see org.figures)."""
    from .figures import figures_refresh

    return figures_refresh(paths=paths)
