"""Background jobs of the learning app: result imports started in the web UI."""

from __future__ import annotations

from pathlib import Path

from django_tasks import task

from clusterwise.core.jobs import job_finish, job_progress
from clusterwise.core.models import Job

from .imports import import_results
from .models import ResultImport, Round


@task()
def run_results_import(job_id: str) -> None:
    """Import the uploaded file into its round; the job shows progress, then the outcome."""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    try:
        round_ = Round.objects.get(pk=job.preview["round"])
        batch = import_results(
            round_=round_,
            path=Path(job.file.path),
            file_name=job.original_name,
            by=job.created_by,
            mode=job.preview.get("mode", ResultImport.Mode.ALL_OR_NOTHING),
            progress=job_progress(job),
            job=job,
        )
    except Exception:
        # Never leave a job "running" for ever; the worker logs the traceback.
        job_finish(job=job, error="The import failed unexpectedly; nothing was written.")
        raise
    job.refresh_from_db()
    if batch.status == ResultImport.Status.DONE:
        job_finish(job=job, result={"import": str(batch.pk)})
    else:
        job_finish(job=job, error=batch.message)
