/*
 * Fork-join over pthreads. Threads are created per call: phases are few and
 * long (milliseconds to seconds), so a pool would buy nothing measurable.
 */
#include <pthread.h>
#include <stdlib.h>

#include "par.h"

typedef struct par_job {
    hc__par_fn fn;
    void *ctx;
    unsigned thread;
    size_t begin, end;
    hc_status rc;
} par_job;

static void *par_main(void *arg)
{
    par_job *j = arg;
    j->rc = j->fn(j->ctx, j->thread, j->begin, j->end);
    return NULL;
}

unsigned hc__par_threads(unsigned threads, size_t n)
{
    if (threads < 1)
        threads = 1;
    if ((size_t)threads > n)
        threads = n ? (unsigned)n : 1;
    return threads;
}

hc_status hc__par_for(unsigned threads, size_t n, hc__par_fn fn, void *ctx)
{
    threads = hc__par_threads(threads, n);
    if (threads == 1)
        return fn(ctx, 0, 0, n);

    par_job *jobs = calloc(threads, sizeof *jobs);
    pthread_t *tids = calloc(threads, sizeof *tids);
    bool *started = calloc(threads, sizeof *started);
    hc_status rc = HC_OK;
    if (!jobs || !tids || !started) {
        rc = HC_ERR_NOMEM;
        goto done;
    }
    for (unsigned t = 0; t < threads; t++) {
        jobs[t] = (par_job){
            fn, ctx, t, n * t / threads, n * (t + 1) / threads, HC_OK};
    }
    for (unsigned t = 0; t + 1 < threads; t++) {
        if (pthread_create(&tids[t], NULL, par_main, &jobs[t]) == 0)
            started[t] = true;
        else
            par_main(&jobs[t]); /* no thread: do the work here instead */
    }
    par_main(&jobs[threads - 1]);
    for (unsigned t = 0; t + 1 < threads; t++)
        if (started[t])
            pthread_join(tids[t], NULL);
    for (unsigned t = 0; t < threads; t++)
        if (jobs[t].rc != HC_OK) {
            rc = jobs[t].rc;
            break;
        }
done:
    free(jobs);
    free(tids);
    free(started);
    return rc;
}
