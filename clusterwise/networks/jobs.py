"""Background work of the networks app: grouping a unit's schools into proposed networks
(a district in seconds, a state in a minute or more), with its progress on the job."""

from __future__ import annotations

from django_tasks import task

from clusterwise.core.jobs import job_finish, job_progress
from clusterwise.core.models import Job

from .models import FormationRun
from .services.formation import formation_run


@task()
def run_formation(job_id: str) -> None:
    job = Job.objects.get(pk=job_id)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    run = FormationRun.objects.select_related("org_unit").get(pk=job.preview["run"])
    try:
        formation_run(run=run, progress=job_progress(job))
    except Exception:
        FormationRun.objects.filter(pk=run.pk).update(status=FormationRun.Status.FAILED)
        job_finish(job=job, error="Grouping the schools failed unexpectedly; nothing was kept.")
        raise
    job_finish(job=job, result={"run": str(run.pk)})
