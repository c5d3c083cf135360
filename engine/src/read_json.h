/*
 * The JSON readers, implemented in C++ over simdjson On-Demand
 * (read_json.cpp) behind this C interface: the plaintext GHES export, the
 * GHEC consumed-licenses pages, and NDJSON account records. No C++
 * exception crosses this interface; every failure is an hc_status with the
 * job's diagnostic filled. Inputs must be followed by HC__PAD readable
 * bytes.
 */
#ifndef HC_READ_JSON_H
#define HC_READ_JSON_H

#include "read_sink.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Reads a GHES JSON export occupying the job's range. The source is the
 * job's host if set, else the document's host_name; this function creates
 * it. HC_ERR_ENCRYPTED when `users` is a string (GitHub's encrypted
 * `ghe-license` export).
 */
hc_status hc__json_ghes(hc__job *job);

/* Reads consumed-licenses pages (one page, an array of pages, or pages one
 * after another) into the GHEC source job->source. */
hc_status hc__json_ghec(hc__job *job);

/*
 * Finds where consumed-licenses pages one after another may be cut for
 * parsing on several threads: up to max page starts, at least `every`
 * bytes apart, in cut[] in input order; returns how many. The job's file
 * is read with pread through windows of job->json_window bytes (has_fd
 * and json_window must be set); the job's status and diagnostic may be
 * overwritten, so pass a copy. Finds fewer cuts, or none, where the
 * pages cannot be told apart without parsing them: the rest of the input
 * then stays one job.
 */
size_t hc__json_ghec_cuts(hc__job *job, size_t every, size_t *cut, size_t max);

/*
 * Reads the NDJSON account records of the job's range (which starts at a
 * line start and ends at a line end or the end of the input). Sources are
 * named by each record; rows whose source is unknown are rejected against
 * job->source, created on demand as a GHES source named after the file
 * when it is UINT32_MAX.
 */
hc_status hc__json_records(hc__job *job);

#ifdef __cplusplus
}
#endif
#endif /* HC_READ_JSON_H */
