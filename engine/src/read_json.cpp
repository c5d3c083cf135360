/*
 * The JSON readers over simdjson On-Demand: the GHES export, the GHEC
 * consumed-licenses pages and NDJSON account records. This is the engine's
 * only C++ and it stays behind the C interface in read_json.h: simdjson's
 * error-code API only, and a catch-all at every entry point so that no
 * exception (std::bad_alloc from the library) ever reaches C.
 *
 * Nothing builds a tree of the document: objects are walked once, in input
 * order, and fields are matched by name as they come. Values headcount does
 * not use are still walked, to validate them and to bound the nesting depth
 * (HC__JSON_DEPTH_MAX) without recursion on input-controlled depth.
 *
 * Within one JSON object a type error (an id that is an object, emails that
 * are not an array) is a row-level error: the object is finished so that
 * the parse stays in step, then the row is rejected or the job fails. A
 * syntax error is fatal for a document; for NDJSON records it is localized
 * to its line, which is rejected under skip_malformed, and the stream
 * resumes on the next line.
 */
#include <simdjson.h>

#include <cstdarg>
#include <cstdio>
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <new>
#include <string_view>
#include <utility>

#include "read_json.h"
#include "read_ndjson.h"
#include "util.h"

using namespace simdjson;

static_assert(SIMDJSON_PADDING <= HC__PAD,
              "inputs are padded for simdjson by HC__PAD bytes");

namespace
{

using jtype = ondemand::json_type;

/* First batch for consumed-licenses JSON (REST pages are ~100 KiB). */
constexpr size_t ghec_batch = size_t(16) << 20;

/* Largest document simdjson indexes at once (32-bit offsets). */
constexpr size_t json_doc_max = 0xFFFFFFFFu - 64;

const char *syntax_text(error_code e)
{
    switch (e) {
    case UTF8_ERROR: return "invalid UTF-8 in JSON";
    case UNCLOSED_STRING: return "unterminated JSON string";
    case UNESCAPED_CHARS:
        return "control character inside a JSON string must be escaped";
    case STRING_ERROR: return "invalid escape sequence in a JSON string";
    case NUMBER_ERROR: return "malformed JSON number";
    case T_ATOM_ERROR: return "malformed literal, expected 'true'";
    case F_ATOM_ERROR: return "malformed literal, expected 'false'";
    case N_ATOM_ERROR: return "malformed literal, expected 'null'";
    case EMPTY: return "empty input, expected a JSON document";
    case INCOMPLETE_ARRAY_OR_OBJECT:
        /* simdjson reports both a truncated value and content after the
         * last ']' or '}' of a document this way. */
        return "incomplete JSON value, or content after it: expected a "
               "complete object or array ending in '}' or ']'";
    default: return nullptr;
    }
}

/* The first offset from `at` to `end` of b that is not JSON whitespace,
 * or end. */
size_t skip_ws(const char *b, size_t at, size_t end)
{
    while (at < end &&
           (b[at] == ' ' || b[at] == '\t' || b[at] == '\r' || b[at] == '\n'))
        at++;
    return at;
}

/*
 * The offset of the document the stream iterator is on. simdjson reports
 * the start of its batch for the first document of a batch, which may be
 * whitespace before it: documents begin at the next significant byte.
 */
size_t doc_start(const hc__job *job, size_t off)
{
    return skip_ws(job->base, off, job->end);
}

/* A borrowed hc_str; never a null pointer, even for an empty value. */
hc_str str_of(std::string_view v)
{
    return hc_str{v.empty() ? "" : v.data(), v.size()};
}

/* The entries of a list, never a null pointer (consumers may memcpy). */
const hc_str *list_of(const hc__strvec &sv)
{
    static const hc_str none[1] = {{"", 0}};
    return sv.n ? sv.v : none;
}

/* True when the whole document has been consumed: the iterator reports
 * no current location only past the last token. */
template <typename D> bool at_end(D &doc)
{
    const char *p = nullptr;
    return doc.current_location().get(p) == OUT_OF_BOUNDS;
}

/* A reusable source-name -> id cache for NDJSON records, so that the
 * census's source table is not consulted for every record. */
struct source_cache {
    struct entry {
        hc_source_kind kind;
        uint32_t id;
        size_t len;
        char name[120];
    };
    entry e[8];
    unsigned n = 0, next = 0;
};

/* Whether a user object, given its keys one by one, is one of
 * consumed-licenses JSON: github_com_* fields, no id or login (a GHES user
 * has both). The GHES readers ask it to name a file given to the wrong
 * flag. */
struct user_shape {
    bool ghec = false, ghes = false;
    void key(std::string_view k)
    {
        ghec |= k.substr(0, 11) == "github_com_";
        ghes |= k == "id" || k == "login";
    }
    bool consumed_licenses() const { return ghec && !ghes; }
};

class reader
{
  public:
    explicit reader(hc__job *job) : job_(job) {}
    ~reader()
    {
        hc__strvec_fini(&emails_);
        hc__strvec_fini(&emails2_);
        hc__strvec_fini(&idents_);
    }

    hc_status ghes();
    hc_status ghec();
    hc_status records();

  private:
    hc__job *job_;
    ondemand::parser parser_{};
    size_t last_off_ = 0; /* last known position, for diagnostics */
    hc__strvec emails_{}, emails2_{}, idents_{};
    source_cache sources_{};

    /* Records: a syntax error is not reported at once but left pending,
     * for the caller to localize to its line. */
    bool defer_ = false;
    bool pending_ = false;
    /* While set, a record's account is held instead of delivered, until
     * its line is known to hold nothing else (record_line). */
    bool hold_ = false;
    enum { held_none, held_ghes, held_ghec } held_ = held_none;
    hc_ghes_account held_ghes_{};
    hc_ghec_account held_ghec_{};
    /* The held account's source, added only when it is delivered: a line
     * rejected after its object must not leave a source behind. */
    bool held_named_ = false; /* else the input's fallback source */
    hc_source_kind held_kind_ = HC_SOURCE_GHES;
    std::string_view held_name_;
    hc_status pending_st_ = HC_OK;
    size_t pending_off_ = 0;
    char pending_msg_[200];

    /* A row-level problem found inside an object. */
    struct row_issue {
        bool set = false;
        hc_status status = HC_OK;
        size_t off = 0;
        char msg[200];
    };

    /* The bytes being parsed when they are not the mapping: a window of
     * the input read with pread (ghec_windows), input offset view_off_. */
    const char *view_ = nullptr;
    size_t view_off_ = 0, view_len_ = 0;

    /* The single document being read, while one is (doc_scope): after a
     * structure error simdjson's iterator stands at the offending token,
     * which last_off_ (the last value read) is not. Not for documents of
     * a stream (consumed-licenses pages): there the last one's iterator
     * can stand at the end of the input instead. */
    ondemand::document *doc_ = nullptr;
    struct doc_scope {
        reader &r;
        ondemand::document *saved;
        doc_scope(reader &rd, ondemand::document *d) : r(rd), saved(rd.doc_)
        {
            r.doc_ = d;
        }
        ~doc_scope() { r.doc_ = saved; }
    };
    /* Where a structure error is: the document's current token when it
     * lies past the last value read, else that value. */
    size_t tape_error_place()
    {
        const char *p = nullptr;
        if (!doc_ || doc_->current_location().get(p))
            return last_off_;
        size_t o = off_of(p);
        return o > last_off_ ? o : last_off_;
    }

    size_t off_of(const char *p)
    {
        if (view_ && p >= view_ && p <= view_ + view_len_)
            return view_off_ + size_t(p - view_);
        if (p < job_->base || p > job_->base + job_->len)
            return last_off_;
        return size_t(p - job_->base);
    }
    template <typename V> size_t where(V &v)
    {
        const char *p = nullptr;
        if (!v.current_location().get(p))
            last_off_ = off_of(p);
        return last_off_;
    }
    void note(row_issue &ri, hc_status st, size_t off, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)))
    {
        if (ri.set)
            return;
        ri.set = true;
        ri.status = st;
        ri.off = off;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ri.msg, sizeof ri.msg, fmt, ap);
        va_end(ap);
    }
    /* A known field given twice in one object is a row error at its
     * second value: JSON leaves the meaning of a repeated name open
     * (readers keep the first, the last or both), and a repeat of
     * "github_com_user" or "suspended" would decide a seat. The fast
     * NDJSON path hands such lines to this reader. True when `bit` is
     * new in `seen`. */
    static constexpr unsigned field_repeated = ~0u;
    bool first_time(unsigned &seen, unsigned bit, std::string_view key,
                    ondemand::value &v, row_issue &ri)
    {
        if (!(seen & bit)) {
            seen |= bit;
            return true;
        }
        note(ri, HC_ERR_DATA, where(v), "field '%.*s' given twice",
             (int)key.size(), key.data());
        return false;
    }
    /* The same for a field of the document itself ("users", the host
     * name), at its second value: no row to skip, so the input fails. */
    hc_status given_twice(std::string_view key, size_t off)
    {
        return hc__job_fail(job_, HC_ERR_DATA, off, true,
                            "field '%.*s' given twice", (int)key.size(),
                            key.data());
    }
    /* A record's source the census could not add. Which record meets the
     * limit on sources depends on how the threads share the input, so
     * that error names the limit and no line: the same message for any
     * thread count. */
    hc_status source_fail(hc_status rc, size_t off)
    {
        if (rc == HC_ERR_LIMIT)
            return hc__job_fail_at(job_, rc, 0, 0, HC__SOURCES_LIMIT_FMT,
                                   HC_SOURCES_MAX);
        return hc__job_fail(job_, rc, off, false, "cannot add source: %s",
                            hc_status_str(rc));
    }
    hc_status fail_json(hc_status st, size_t off, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)))
    {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (defer_ && st != HC_ERR_NOMEM) {
            if (!pending_) {
                pending_ = true;
                pending_st_ = st;
                pending_off_ = off;
                snprintf(pending_msg_, sizeof pending_msg_, "%s", msg);
            }
            return st;
        }
        return hc__job_fail(job_, st, off, true, "%s", msg);
    }
    /* Where the scan of stage1_place stops: the end of the NDJSON line
     * being parsed, else the job's end (or the window's). */
    size_t scan_end_ = SIZE_MAX;
    /* Reading a GHES export: the input is one document, whose
     * INCOMPLETE_ARRAY_OR_OBJECT incomplete_document can explain. */
    bool whole_document_ = false;
    /*
     * simdjson's first pass checks a whole document or batch before any
     * value is read, and reports invalid UTF-8, a control character in a
     * string or an unclosed string without a place: last_off_ is then the
     * start of that document or batch, which may be megabytes before the
     * fault. A plain scan from there (a document start, outside any
     * string) finds the byte itself; last_off_ when it finds nothing.
     */
    size_t stage1_place(error_code e) const
    {
        const char *p;
        size_t n;
        size_t from = last_off_;
        if (view_ && from >= view_off_ && from < view_off_ + view_len_) {
            p = view_ + (from - view_off_);
            n = view_off_ + view_len_ - from;
        } else if (from < job_->len) {
            size_t stop = from < job_->end ? job_->end : job_->len;
            p = job_->base + from;
            n = stop - from;
        } else {
            return from;
        }
        if (scan_end_ > from && scan_end_ - from < n)
            n = scan_end_ - from;
        if (e == UTF8_ERROR) {
            size_t k = hc__utf8_valid_prefix(p, n);
            return k < n ? from + k : from;
        }
        bool in_str = false;
        size_t open = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            if (!in_str) {
                if (c == '"') {
                    in_str = true;
                    open = i;
                }
            } else if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_str = false;
            } else if (c < 0x20) {
                /* No JSON string holds a raw control character: for an
                 * unclosed string, this is the first string that runs on
                 * past its line, where a stray quote shifted the pairing
                 * of all the quotes after it; simdjson's own
                 * UNCLOSED_STRING concerns the last quote of the input. */
                return from + (e == UNESCAPED_CHARS ? i : open);
            }
        }
        return e == UNCLOSED_STRING && in_str ? from + open : from;
    }
    hc_status syntax(error_code e, const char *context)
    {
        if (e == UTF8_ERROR || e == UNESCAPED_CHARS || e == UNCLOSED_STRING)
            last_off_ = stage1_place(e);
        else if (e == TAPE_ERROR)
            last_off_ = tape_error_place();
        if (e == MEMALLOC)
            return fail_json(HC_ERR_NOMEM, last_off_,
                             "out of memory parsing JSON");
        if (e == CAPACITY)
            return fail_json(HC_ERR_LIMIT, last_off_,
                             "JSON document is larger than %zu bytes",
                             json_doc_max);
        if (e == DEPTH_ERROR)
            return too_deep(last_off_);
        if (e == INCOMPLETE_ARRAY_OR_OBJECT && whole_document_)
            return incomplete_document(job_->begin, false);
        const char *t = syntax_text(e);
        if (t)
            return fail_json(HC_ERR_DATA, last_off_, "%s", t);
        return fail_json(HC_ERR_DATA, last_off_, "malformed JSON: %s", context);
    }
    hc_status too_deep(size_t off)
    {
        return fail_json(HC_ERR_LIMIT, off,
                         "JSON nesting is deeper than %d levels",
                         HC__JSON_DEPTH_MAX);
    }

    hc_status walk(ondemand::value v, int depth);
    hc_status object_fields_walk(ondemand::object o, int depth,
                                 user_shape *shape = nullptr);
    hc_status string_list(ondemand::value v, int depth, const char *field,
                          bool objects_ok, hc__strvec *out, row_issue &ri);
    hc_status opt_string(ondemand::value v, const char *field,
                         std::string_view &out, row_issue &ri);
    hc_status opt_bool(ondemand::value v, const char *field, bool &out,
                       row_issue &ri);
    hc_status user_id(ondemand::value v, uint64_t &out, row_issue &ri);

    hc_status ghes_scan(ondemand::document &doc, std::string_view &host,
                        bool &has_users);
    hc_status users_scan(ondemand::value users, bool &ghec_users);
    hc_status ghes_user(ondemand::value v, uint32_t source);
    hc_status ghec_page(ondemand::object page, int depth);
    hc_status ghec_user(ondemand::value v, int depth);
    hc_status ghec_doc(ondemand::document_reference doc, size_t doc_off,
                       bool first);
    hc_status ghec_windows(size_t &pos, size_t &docs);
    hc_status ghec_mapped(size_t pos, size_t &docs);
    bool stray_after_document(size_t pos, size_t &off);
    hc_status incomplete_document(size_t from, bool many);
    /* Signs that an object without "users" is another document than the
     * flag asks for: an NDJSON record's "kind", a GitHub API error's
     * "message" (made printable). */
    struct other_doc {
        bool record = false;
        char api_error[96] = "";
    };
    hc_status other_doc_member(std::string_view key, ondemand::value v,
                               other_doc &o, bool &taken);
    hc_status other_doc_fail(const other_doc &o, size_t off, const char *what);

    template <typename D>
    hc_status record(D &doc, size_t off, bool &syntax_error);
    template <typename D> hc_status record_body(D &doc, size_t off);
    hc_status record_source(hc_source_kind kind, std::string_view name,
                            uint32_t &id);
    hc_status fallback_source(uint32_t &id);
    hc_status record_line(size_t s, size_t stop);
    struct line_walk {
        size_t released; /* input offset up to which pages were dropped */
        uint64_t count;  /* records seen, for the periodic checks */
        bool cancelled;
    };
    hc_status lines(const char *buf, size_t from, size_t to, size_t at,
                    bool fast, line_walk &w);
    hc_status records_streamed();
    hc_status deliver_fast(const hc__ndjson_rec &r, size_t off, bool *refused);
    hc_status deliver_ghes(const hc_ghes_account &a, size_t off);
    hc_status deliver_ghec(const hc_ghec_account &a, size_t off);
    hc_status row_done(const row_issue &ri, uint32_t source);
};

/* --- generic walking -------------------------------------------------- */

/* Walks the fields of o (at depth + 1), showing each key to shape when
 * given. */
hc_status reader::object_fields_walk(ondemand::object o, int depth,
                                     user_shape *shape)
{
    for (auto fr : o) {
        ondemand::field f;
        error_code e = std::move(fr).get(f);
        if (e)
            return syntax(e, "expected a string key, or ',' or '}' after an "
                             "object field");
        /* A field's key is raw until unescaped: unescaping it is what
         * checks its escapes. */
        std::string_view key;
        if ((e = f.unescaped_key().get(key)))
            return syntax(e, "expected a string key");
        if (shape)
            shape->key(key);
        hc_status rc = walk(f.value(), depth + 1);
        if (rc != HC_OK)
            return rc;
    }
    return HC_OK;
}

/* True when tok (a raw token, maybe followed by whitespace) is a JSON
 * number by RFC 8259's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number_syntax(std::string_view tok)
{
    size_t i = 0, n = tok.size();
    while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t' ||
                 tok[n - 1] == '\r' || tok[n - 1] == '\n'))
        n--;
    auto digits = [&](void) {
        size_t s = i;
        while (i < n && tok[i] >= '0' && tok[i] <= '9')
            i++;
        return i - s;
    };
    if (i < n && tok[i] == '-')
        i++;
    if (i < n && tok[i] == '0')
        i++;
    else if (i == n || tok[i] < '1' || tok[i] > '9' || !digits())
        return false;
    if (i < n && tok[i] == '.') {
        i++;
        if (!digits())
            return false;
    }
    if (i < n && (tok[i] == 'e' || tok[i] == 'E')) {
        i++;
        if (i < n && (tok[i] == '+' || tok[i] == '-'))
            i++;
        if (!digits())
            return false;
    }
    return i == n;
}

/* Validates a value and bounds its depth; `depth` counts the containers
 * enclosing v. */
hc_status reader::walk(ondemand::value v, int depth)
{
    jtype t;
    size_t off = where(v);
    error_code e = v.type().get(t);
    if (e)
        return syntax(e, "expected a JSON value");
    switch (t) {
    case jtype::object: {
        if (depth + 1 > HC__JSON_DEPTH_MAX)
            return too_deep(off);
        ondemand::object o;
        if ((e = v.get_object().get(o)))
            return syntax(e, "expected an object");
        return object_fields_walk(o, depth);
    }
    case jtype::array: {
        if (depth + 1 > HC__JSON_DEPTH_MAX)
            return too_deep(off);
        ondemand::array a;
        if ((e = v.get_array().get(a)))
            return syntax(e, "expected an array");
        for (auto er : a) {
            ondemand::value ev;
            if ((e = std::move(er).get(ev)))
                return syntax(e, "expected a value, or ',' or ']' after an "
                                 "array element");
            hc_status rc = walk(ev, depth + 1);
            if (rc != HC_OK)
                return rc;
        }
        return HC_OK;
    }
    case jtype::string: {
        std::string_view s;
        if ((e = v.get_string().get(s)))
            return syntax(e, "expected a string");
        return HC_OK;
    }
    case jtype::number: {
        std::string_view raw = v.raw_json_token();
        ondemand::number n;
        if ((e = v.get_number().get(n))) {
            /* simdjson cannot represent 2^64 or 1e400, but they are JSON
             * numbers, and a field nobody reads may hold them. */
            if (e == NUMBER_ERROR && json_number_syntax(raw))
                return HC_OK;
            return syntax(e, "expected a number");
        }
        return HC_OK;
    }
    case jtype::boolean: {
        bool b;
        if ((e = v.get_bool().get(b)))
            return syntax(e, "expected 'true' or 'false'");
        return HC_OK;
    }
    case jtype::null: {
        bool isnull = false;
        if ((e = v.is_null().get(isnull)) || !isnull)
            return syntax(e ? e : N_ATOM_ERROR, "expected 'null'");
        return HC_OK;
    }
    }
    return syntax(TAPE_ERROR, "expected a JSON value");
}

/* --- typed fields ------------------------------------------------------ */

/* A string, or null (empty). Other types are a row issue. */
hc_status reader::opt_string(ondemand::value v, const char *field,
                             std::string_view &out, row_issue &ri)
{
    jtype t;
    size_t off = where(v);
    error_code e = v.type().get(t);
    if (e)
        return syntax(e, "expected a JSON value");
    if (t == jtype::null) {
        out = std::string_view();
        return walk(v, 1);
    }
    if (t != jtype::string) {
        note(ri, HC_ERR_DATA, off, "expected a string in field '%s'", field);
        return walk(v, 1);
    }
    if ((e = v.get_string().get(out)))
        return syntax(e, "expected a string");
    if (out.size() > HC_EMAIL_MAX)
        note(ri, HC_ERR_LIMIT, off,
             "value of field '%s' is longer than %zu bytes", field,
             HC_EMAIL_MAX);
    return HC_OK;
}

/* A boolean, or null (false). */
hc_status reader::opt_bool(ondemand::value v, const char *field, bool &out,
                           row_issue &ri)
{
    jtype t;
    size_t off = where(v);
    error_code e = v.type().get(t);
    if (e)
        return syntax(e, "expected a JSON value");
    if (t == jtype::null) {
        out = false;
        return walk(v, 1);
    }
    if (t != jtype::boolean) {
        note(ri, HC_ERR_DATA, off, "expected a boolean in field '%s'", field);
        return walk(v, 1);
    }
    if ((e = v.get_bool().get(out)))
        return syntax(e, "expected 'true' or 'false'");
    return HC_OK;
}

/* A user id: a non-negative integer, or a string of decimal digits. */
hc_status reader::user_id(ondemand::value v, uint64_t &out, row_issue &ri)
{
    jtype t;
    size_t off = where(v);
    error_code e = v.type().get(t);
    if (e)
        return syntax(e, "expected a JSON value");
    if (t == jtype::number) {
        std::string_view raw = v.raw_json_token();
        if (!v.get_uint64().get(out))
            return HC_OK;
        /* Out of range, negative or not an integer: a row error. Bad
         * syntax stays a syntax error. */
        if (!json_number_syntax(raw))
            return syntax(NUMBER_ERROR, "expected a number");
        note(ri, HC_ERR_DATA, off,
             "expected a non-negative integer below 2^64 in field 'id'");
        return HC_OK;
    }
    if (t == jtype::string) {
        std::string_view s;
        if ((e = v.get_string().get(s)))
            return syntax(e, "expected a string");
        if (!hc__parse_u64(s.data(), s.size(), &out))
            note(ri, HC_ERR_DATA, off,
                 "expected a decimal user id in field 'id'");
        return HC_OK;
    }
    note(ri, HC_ERR_DATA, off,
         "expected a number or a decimal string in field 'id'");
    return walk(v, 1);
}

/*
 * An array of strings (or of objects with an "email" or "address" string
 * when objects_ok), or null. `depth` counts the containers enclosing v.
 */
hc_status reader::string_list(ondemand::value v, int depth, const char *field,
                              bool objects_ok, hc__strvec *out, row_issue &ri)
{
    jtype t;
    size_t off = where(v);
    error_code e = v.type().get(t);
    out->n = 0;
    if (e)
        return syntax(e, "expected a JSON value");
    if (t == jtype::null)
        return walk(v, depth);
    if (t != jtype::array) {
        note(ri, HC_ERR_DATA, off, "expected an array in field '%s'", field);
        return walk(v, depth);
    }
    if (depth + 1 > HC__JSON_DEPTH_MAX)
        return too_deep(off);
    ondemand::array a;
    if ((e = v.get_array().get(a)))
        return syntax(e, "expected an array");
    for (auto er : a) {
        ondemand::value ev;
        if ((e = std::move(er).get(ev)))
            return syntax(e, "expected a value, or ',' or ']' after an array "
                             "element");
        size_t eoff = where(ev);
        if ((e = ev.type().get(t)))
            return syntax(e, "expected a JSON value");
        std::string_view s;
        /* named: an "email" or "address" key met, of any type (by_email:
         * which); have: its string read. */
        bool have = false, twice = false, named = false, by_email = false;
        if (t == jtype::string) {
            if ((e = ev.get_string().get(s)))
                return syntax(e, "expected a string");
            have = true;
        } else if (t == jtype::object && objects_ok) {
            if (depth + 2 > HC__JSON_DEPTH_MAX)
                return too_deep(eoff);
            ondemand::object o;
            if ((e = ev.get_object().get(o)))
                return syntax(e, "expected an object");
            for (auto fr : o) {
                ondemand::field f;
                if ((e = std::move(fr).get(f)))
                    return syntax(e, "expected a string key, or ',' or '}' "
                                     "after an object field");
                std::string_view key;
                if ((e = f.unescaped_key().get(key)))
                    return syntax(e, "expected a string key");
                ondemand::value fv = f.value();
                jtype ft;
                if (key == "email" || key == "address") {
                    /* One address per object: "email" twice, or beside
                     * "address", leaves open which one is meant, also when
                     * one of them is null. */
                    bool is_email = key == "email";
                    bool str = !fv.type().get(ft) && ft == jtype::string;
                    if (named && is_email == by_email) {
                        note(ri, HC_ERR_DATA, where(fv),
                             "field '%.*s' given twice", (int)key.size(),
                             key.data());
                        twice = true;
                    } else if (named) {
                        note(ri, HC_ERR_DATA, where(fv),
                             "fields 'email' and 'address' both given in "
                             "an object of field '%s' (one address each)",
                             field);
                        twice = true;
                    } else if (str) {
                        if ((e = fv.get_string().get(s)))
                            return syntax(e, "expected a string");
                        have = true;
                    }
                    if (!named)
                        by_email = is_email;
                    named = true;
                    if (str)
                        continue;
                }
                hc_status rc = walk(fv, depth + 2);
                if (rc != HC_OK)
                    return rc;
            }
            if (!have)
                note(ri, HC_ERR_DATA, eoff,
                     "expected an \"email\" string in each object of field "
                     "'%s'",
                     field);
        } else {
            note(ri, HC_ERR_DATA, eoff,
                 "expected an array of strings in field '%s'", field);
            hc_status rc = walk(ev, depth + 1);
            if (rc != HC_OK)
                return rc;
        }
        if (!have || twice)
            continue;
        if (s.size() > HC_EMAIL_MAX) {
            note(ri, HC_ERR_LIMIT, eoff,
                 "email in field '%s' is longer than %zu bytes", field,
                 HC_EMAIL_MAX);
            continue;
        }
        if (s.empty())
            continue;
        hc_status rc = hc__strvec_push(out, s.data(), s.size());
        if (rc != HC_OK)
            return hc__job_fail(job_, rc, eoff, false,
                                "out of memory reading field '%s'", field);
    }
    return HC_OK;
}

/* --- delivery ---------------------------------------------------------- */

hc_status reader::deliver_ghes(const hc_ghes_account &a, size_t off)
{
    if (hold_) {
        held_ghes_ = a; /* checked when delivered, with its source */
        held_ = held_ghes;
        return HC_OK;
    }
    return hc__job_add_ghes(job_, &a, off);
}

hc_status reader::deliver_ghec(const hc_ghec_account &a, size_t off)
{
    if (hold_) {
        held_ghec_ = a; /* checked when delivered, with its source */
        held_ = held_ghec;
        return HC_OK;
    }
    return hc__job_add_ghec(job_, &a, off);
}

/* Rejects the row (skip_malformed) or fails the job with its issue. */
hc_status reader::row_done(const row_issue &ri, uint32_t source)
{
    return hc__job_row_error(job_, source, ri.status, ri.off, true, "%s",
                             ri.msg);
}

/* --- GHES export ------------------------------------------------------- */

/* A DNS name or address with an optional port: letters, digits, '.', '-',
 * ':' (IPv6 and ports), '[' and ']', at most 253 bytes. */
static bool plausible_host(std::string_view h)
{
    if (h.empty() || h.size() > 253)
        return false;
    for (char c : h) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
                  c == '[' || c == ']';
        if (!ok)
            return false;
    }
    return true;
}

/* user_shape of an object, from its keys only. */
static bool ghec_user_keys(ondemand::object o)
{
    user_shape shape;
    for (auto fr : o) {
        ondemand::field f;
        std::string_view key;
        if (std::move(fr).get(f) || f.unescaped_key().get(key))
            return false;
        shape.key(key);
    }
    return shape.consumed_licenses();
}

/* True when the document is an array of consumed-licenses pages: its
 * first element is a page with totals, or one whose first user is a
 * consumed-licenses user (a page need not carry its totals). Only to name
 * the right flag in an error, so any parse error is simply false. */
static bool pages_array(ondemand::document &doc)
{
    ondemand::array a;
    if (doc.get_array().get(a))
        return false;
    for (auto er : a) {
        ondemand::value v;
        ondemand::object o;
        if (std::move(er).get(v) || v.get_object().get(o))
            return false;
        for (auto fr : o) {
            ondemand::field f;
            std::string_view key;
            if (std::move(fr).get(f) || f.unescaped_key().get(key))
                return false;
            if (key == "total_seats_consumed" || key == "total_seats_purchased")
                return true;
            ondemand::array users;
            if (key == "users" && !f.value().get_array().get(users)) {
                for (auto ur : users) {
                    ondemand::value uv;
                    ondemand::object uo;
                    return !std::move(ur).get(uv) && !uv.get_object().get(uo) &&
                           ghec_user_keys(uo);
                }
            }
        }
        return false; /* the first element decides */
    }
    return false;
}

/* The first pass over a GHES export's `users` array (at depth 1): walks
 * it as walk() does, and sets ghec_users when its first user is one of
 * consumed-licenses JSON (ghec_user_keys), whose pages need not carry
 * totals: that says what the file is before any other check. */
hc_status reader::users_scan(ondemand::value users, bool &ghec_users)
{
    ondemand::array a;
    error_code e = users.get_array().get(a);
    if (e)
        return syntax(e, "expected an array");
    bool first = true;
    for (auto er : a) {
        ondemand::value ev;
        if ((e = std::move(er).get(ev)))
            return syntax(e, "expected a value, or ',' or ']' after an array "
                             "element");
        jtype t;
        where(ev);
        if (!first || ev.type().get(t) || t != jtype::object) {
            hc_status rc = walk(ev, 2);
            if (rc != HC_OK)
                return rc;
            first = false;
            continue;
        }
        /* Its fields at depth 3, as walk(users, 1) has them: far below
         * the limit. */
        first = false;
        ondemand::object o;
        if ((e = ev.get_object().get(o)))
            return syntax(e, "expected an object");
        user_shape shape;
        hc_status rc = object_fields_walk(o, 2, &shape);
        if (rc != HC_OK)
            return rc;
        if (shape.consumed_licenses())
            ghec_users = true;
    }
    return HC_OK;
}

/* First pass: the host name, and whether `users` is there and readable. */
hc_status reader::ghes_scan(ondemand::document &doc, std::string_view &host,
                            bool &has_users)
{
    ondemand::object top;
    jtype t;
    error_code e = doc.type().get(t);
    if (e)
        return syntax(e, "expected a JSON object");
    if (t != jtype::object)
        return hc__job_fail(job_, HC_ERR_DATA, last_off_, true, "%s",
                            t == jtype::array && pages_array(doc)
                                ? "this is an array of GHEC "
                                  "consumed-licenses pages, not a GHES "
                                  "export: use --ghec"
                                : "expected a JSON object with a 'users' "
                                  "array (GHES export)");
    if ((e = doc.get_object().get(top)))
        return syntax(e, "expected a JSON object");
    /* The host name may be given at the top or in "instance", once. */
    bool encrypted = false, ghec_like = false, has_host = false;
    other_doc other;
    size_t users_off = 0;
    for (auto fr : top) {
        ondemand::field f;
        if ((e = std::move(fr).get(f)))
            return syntax(e, "expected a string key, or ',' or '}' after an "
                             "object field");
        std::string_view key;
        if ((e = f.unescaped_key().get(key)))
            return syntax(e, "expected a string key");
        ondemand::value v = f.value();
        size_t off = where(v);
        if (key == "users") {
            if (has_users)
                return given_twice(key, off);
            if ((e = v.type().get(t)))
                return syntax(e, "expected a JSON value");
            has_users = true;
            users_off = off;
            if (t == jtype::string) {
                encrypted = true;
            } else if (t != jtype::array) {
                return hc__job_fail(job_, HC_ERR_DATA, off, true,
                                    "expected an array in field 'users'");
            }
            hc_status rc =
                t == jtype::array ? users_scan(v, ghec_like) : walk(v, 1);
            if (rc != HC_OK)
                return rc;
        } else if (key == "host_name" || key == "instance") {
            if ((e = v.type().get(t)))
                return syntax(e, "expected a JSON value");
            if (key == "host_name" && t == jtype::string) {
                if (has_host)
                    return given_twice(key, off);
                has_host = true;
                if ((e = v.get_string().get(host)))
                    return syntax(e, "expected a string");
                continue;
            }
            if (key == "instance" && t == jtype::object) {
                ondemand::object inst;
                if ((e = v.get_object().get(inst)))
                    return syntax(e, "expected an object");
                for (auto ir : inst) {
                    ondemand::field inf;
                    if ((e = std::move(ir).get(inf)))
                        return syntax(e, "expected a string key, or ',' or "
                                         "'}' after an object field");
                    std::string_view ikey;
                    if ((e = inf.unescaped_key().get(ikey)))
                        return syntax(e, "expected a string key");
                    ondemand::value iv = inf.value();
                    jtype it;
                    if (ikey == "host_name" && !iv.type().get(it) &&
                        it == jtype::string) {
                        if (has_host)
                            return given_twice(ikey, where(iv));
                        has_host = true;
                        if ((e = iv.get_string().get(host)))
                            return syntax(e, "expected a string");
                        continue;
                    }
                    hc_status rc = walk(iv, 2);
                    if (rc != HC_OK)
                        return rc;
                }
                continue;
            }
            hc_status rc = walk(v, 1);
            if (rc != HC_OK)
                return rc;
        } else {
            if (key == "total_seats_consumed" || key == "total_seats_purchased")
                ghec_like = true;
            bool taken = false;
            hc_status rc = other_doc_member(key, v, other, taken);
            if (rc == HC_OK && !taken)
                rc = walk(v, 1);
            if (rc != HC_OK)
                return rc;
        }
    }
    /* Before the check for more content: consumed-licenses pages come
     * one after another, and the first says what the file is; so do
     * NDJSON account records, one a line. */
    if (ghec_like)
        return hc__job_fail(job_, HC_ERR_DATA, job_->begin, false,
                            "this is GHEC consumed-licenses JSON, not a GHES "
                            "export: use --ghec");
    if (!has_users) {
        hc_status rc = other_doc_fail(other, job_->begin, "a GHES export");
        if (rc != HC_OK)
            return rc;
    }
    if (!at_end(doc))
        return hc__job_fail(job_, HC_ERR_DATA, where(doc), true,
                            "unexpected content after the JSON document");
    if (encrypted) {
        /* The export's own host_name goes into the message only when it
         * looks like a host name: the file is external data, and the
         * message ends up on a terminal. */
        std::string h = job_->host             ? std::string(job_->host)
                        : plausible_host(host) ? std::string(host)
                                               : std::string("HOST");
        return hc__job_fail(
            job_, HC_ERR_ENCRYPTED, users_off, true,
            "this GHES license export is encrypted ('users' is an encoded "
            "string, not a list); download the all_users.csv report from "
            "https://%s/stafftools/reports/all_users.csv instead and pass it "
            "as --ghes %s=PATH",
            h.c_str(), h.c_str());
    }
    if (!has_users)
        return hc__job_fail(job_, HC_ERR_DATA, job_->begin, false,
                            "missing field 'users' (GHES export)");
    return HC_OK;
}

hc_status reader::ghes_user(ondemand::value v, uint32_t source)
{
    /* A rejected user (--skip-malformed) returns before delivery: its
     * emails must not become the next user's. */
    emails_.n = 0;
    jtype t;
    size_t off = where(v);
    error_code e = v.type().get(t);
    if (e)
        return syntax(e, "expected a JSON value");
    job_->records++;
    row_issue ri;
    if (t != jtype::object) {
        note(ri, HC_ERR_DATA, off, "expected a user object in 'users'");
        hc_status rc = walk(v, 1);
        return rc != HC_OK ? rc : row_done(ri, source);
    }
    ondemand::object o;
    if ((e = v.get_object().get(o)))
        return syntax(e, "expected an object");
    hc_ghes_account a{};
    a.source = source;
    bool have_id = false, have_login = false;
    user_shape shape;
    std::string_view login, primary;
    unsigned seen = 0;
    for (auto fr : o) {
        ondemand::field f;
        if ((e = std::move(fr).get(f)))
            return syntax(e, "expected a string key, or ',' or '}' after an "
                             "object field");
        std::string_view key;
        if ((e = f.unescaped_key().get(key)))
            return syntax(e, "expected a string key");
        ondemand::value fv = f.value();
        hc_status rc;
        shape.key(key);
        unsigned bit = key == "id"              ? 1u
                       : key == "login"         ? 2u
                       : key == "primary_email" ? 4u
                       : key == "emails"        ? 8u
                       : key == "suspended"     ? 16u
                                                : 0u;
        /* Dispatched on the bit: each key is compared once. */
        if (bit && !first_time(seen, bit, key, fv, ri))
            bit = field_repeated; /* its value is skipped */
        switch (bit) {
        case 1u:
            have_id = true;
            rc = user_id(fv, a.id, ri);
            break;
        case 2u:
            have_login = true;
            rc = opt_string(fv, "login", login, ri);
            break;
        case 4u: rc = opt_string(fv, "primary_email", primary, ri); break;
        case 8u: rc = string_list(fv, 3, "emails", true, &emails_, ri); break;
        case 16u: rc = opt_bool(fv, "suspended", a.suspended, ri); break;
        default: rc = walk(fv, 3); break; /* other keys, field_repeated */
        }
        if (rc != HC_OK)
            return rc;
    }
    /* A consumed-licenses page need not carry its totals: its users say
     * what it is. */
    if (shape.consumed_licenses())
        note(ri, HC_ERR_DATA, off,
             "a user object with github_com_* fields and no id or login: "
             "this is GHEC consumed-licenses JSON, use --ghec");
    if (!have_id)
        note(ri, HC_ERR_DATA, off, "missing field 'id' in user object");
    if (!have_login)
        note(ri, HC_ERR_DATA, off, "missing field 'login' in user object");
    if (ri.set)
        return row_done(ri, source);
    a.login = str_of(login);
    a.primary_email = str_of(primary);
    a.emails = list_of(emails_);
    a.n_emails = emails_.n;
    hc_status rc = deliver_ghes(a, off);
    emails_.n = 0;
    return rc;
}

hc_status reader::ghes()
{
    const char *p = job_->base + job_->begin;
    size_t n = job_->end - job_->begin;
    last_off_ = job_->begin;
    scan_end_ = SIZE_MAX;
    whole_document_ = true;
    if (n > json_doc_max)
        return hc__job_fail(job_, HC_ERR_LIMIT, job_->begin, false,
                            "JSON document is larger than %zu bytes",
                            json_doc_max);
    ondemand::document doc;
    error_code e = parser_.iterate(p, n, n + HC__PAD).get(doc);
    if (e)
        return syntax(e, "expected a JSON document");
    doc_scope scope(*this, &doc);
    std::string_view host;
    bool has_users = false;
    hc_status rc = ghes_scan(doc, host, has_users);
    if (rc != HC_OK)
        return rc;
    if (job_->host)
        host = job_->host;
    if (host.empty())
        return hc__job_fail(job_, HC_ERR_DATA, job_->begin, false,
                            "missing field 'host_name' in the GHES export; "
                            "name the instance with --ghes HOST=PATH");
    if (!job_->host && host.size() > HC_SOURCE_NAME_MAX)
        return hc__job_fail(job_, HC_ERR_DATA, job_->begin, false,
                            "field 'host_name' of the GHES export is longer "
                            "than %zu bytes; name the instance with --ghes "
                            "HOST=PATH",
                            HC_SOURCE_NAME_MAX);
    if (!job_->host && !hc_host_name_valid(host.data(), host.size())) {
        char shown[96];
        return hc__job_fail(
            job_, HC_ERR_DATA, job_->begin, false,
            "field 'host_name' of the GHES export, '%s', is "
            "not a host name (" HC__HOST_CHARS "); name the "
            "instance with --ghes HOST=PATH",
            hc__show(host.data(), host.size(), 60, shown, sizeof shown));
    }
    /* The host view points into the parser's string buffer, which the
     * second pass overwrites: copy it first. */
    std::string host_copy(host);
    uint32_t source = 0;
    rc = job_->sink->source(job_->sink->ctx, HC_SOURCE_GHES, host_copy.data(),
                            host_copy.size(), &source);
    if (rc != HC_OK)
        return source_fail(rc, job_->begin);
    job_->source = source;

    doc.rewind();
    ondemand::object top;
    if ((e = doc.get_object().get(top)))
        return syntax(e, "expected a JSON object");
    for (auto fr : top) {
        ondemand::field f;
        if ((e = std::move(fr).get(f)))
            return syntax(e, "expected ',' or '}' after an object field");
        std::string_view key;
        if ((e = f.unescaped_key().get(key)))
            return syntax(e, "expected a string key");
        if (key != "users")
            continue;
        ondemand::array users;
        if ((e = f.value().get_array().get(users)))
            return syntax(e, "expected an array in field 'users'");
        uint64_t count = 0;
        for (auto ur : users) {
            ondemand::value uv;
            if ((e = std::move(ur).get(uv)))
                return syntax(e, "expected a value, or ',' or ']' after an "
                                 "array element");
            if ((++count & 4095) == 0 && hc__job_cancelled(job_))
                return HC_OK;
            rc = ghes_user(uv, source);
            if (rc != HC_OK)
                return rc;
        }
    }
    return HC_OK;
}

/* --- GHEC consumed-licenses -------------------------------------------- */

hc_status reader::ghec_user(ondemand::value v, int depth)
{
    /* A rejected user (--skip-malformed) returns before delivery: its
     * emails must not become the next user's. */
    emails_.n = 0;
    jtype t;
    size_t off = where(v);
    error_code e = v.type().get(t);
    if (e)
        return syntax(e, "expected a JSON value");
    job_->records++;
    row_issue ri;
    if (t != jtype::object) {
        note(ri, HC_ERR_DATA, off, "expected a user object in 'users'");
        hc_status rc = walk(v, depth);
        return rc != HC_OK ? rc : row_done(ri, job_->source);
    }
    if (depth + 1 > HC__JSON_DEPTH_MAX)
        return too_deep(off);
    ondemand::object o;
    if ((e = v.get_object().get(o)))
        return syntax(e, "expected an object");
    hc_ghec_account a{};
    a.source = job_->source;
    bool have_user = false;
    bool ghes_user = false; /* has a GHES export's primary_email */
    std::string_view login, saml;
    unsigned seen = 0;
    for (auto fr : o) {
        ondemand::field f;
        if ((e = std::move(fr).get(f)))
            return syntax(e, "expected a string key, or ',' or '}' after an "
                             "object field");
        std::string_view key;
        if ((e = f.unescaped_key().get(key)))
            return syntax(e, "expected a string key");
        ondemand::value fv = f.value();
        hc_status rc;
        unsigned bit = key == "github_com_login"                    ? 1u
                       : key == "github_com_user"                   ? 2u
                       : key == "github_com_saml_name_id"           ? 4u
                       : key == "github_com_verified_domain_emails" ? 8u
                                                                    : 0u;
        /* Dispatched on the bit: each key is compared once. */
        if (bit && !first_time(seen, bit, key, fv, ri))
            bit = field_repeated; /* its value is skipped */
        switch (bit) {
        case 1u: rc = opt_string(fv, "github_com_login", login, ri); break;
        case 2u:
            have_user = true;
            rc = opt_bool(fv, "github_com_user", a.licensed, ri);
            break;
        case 4u:
            rc = opt_string(fv, "github_com_saml_name_id", saml, ri);
            break;
        case 8u:
            rc = string_list(fv, depth + 1, "github_com_verified_domain_emails",
                             false, &emails_, ri);
            break;
        case 0u:
            ghes_user = ghes_user || key == "primary_email";
            rc = walk(fv, depth + 1);
            break;
        default: rc = walk(fv, depth + 1); break; /* field_repeated */
        }
        if (rc != HC_OK)
            return rc;
    }
    /* A GHES export without host_name, server_id or instance (allowed
     * with --ghes HOST=PATH) shows what it is only in its users. */
    if (!have_user)
        note(ri, HC_ERR_DATA, off,
             ghes_user ? "missing field 'github_com_user' in user object "
                         "(it has 'primary_email', as the users of a GHES "
                         "JSON export have: use --ghes)"
                       : "missing field 'github_com_user' in user object");
    if (ri.set)
        return row_done(ri, job_->source);
    a.login = str_of(login);
    a.saml_name_id = str_of(saml);
    a.verified_emails = list_of(emails_);
    a.n_verified_emails = emails_.n;
    hc_status rc = deliver_ghec(a, off);
    emails_.n = 0;
    return rc;
}

/* `depth` counts the containers enclosing the page. */
hc_status reader::ghec_page(ondemand::object page, int depth)
{
    bool has_users = false;
    error_code e;
    size_t page_off = last_off_;
    other_doc other;
    for (auto fr : page) {
        ondemand::field f;
        if ((e = std::move(fr).get(f)))
            return syntax(e, "expected a string key, or ',' or '}' after an "
                             "object field");
        std::string_view key;
        if ((e = f.unescaped_key().get(key)))
            return syntax(e, "expected a string key");
        ondemand::value v = f.value();
        if (key != "users") {
            if (key == "host_name" || key == "server_id" || key == "instance")
                return hc__job_fail(job_, HC_ERR_DATA, where(v), true,
                                    "this is a GHES JSON export, not "
                                    "consumed-licenses JSON: use --ghes");
            bool taken = false;
            hc_status rc = other_doc_member(key, v, other, taken);
            if (rc == HC_OK && !taken)
                rc = walk(v, depth + 1);
            if (rc != HC_OK)
                return rc;
            continue;
        }
        jtype t;
        size_t off = where(v);
        if (has_users)
            return given_twice(key, off);
        if ((e = v.type().get(t)))
            return syntax(e, "expected a JSON value");
        if (t != jtype::array)
            return hc__job_fail(job_, HC_ERR_DATA, off, true,
                                "expected an array in field 'users'");
        if (depth + 2 > HC__JSON_DEPTH_MAX)
            return too_deep(off);
        has_users = true;
        ondemand::array users;
        if ((e = v.get_array().get(users)))
            return syntax(e, "expected an array");
        uint64_t count = 0;
        for (auto ur : users) {
            ondemand::value uv;
            if ((e = std::move(ur).get(uv)))
                return syntax(e, "expected a value, or ',' or ']' after an "
                                 "array element");
            if ((++count & 4095) == 0 && hc__job_cancelled(job_))
                return HC_OK;
            hc_status rc = ghec_user(uv, depth + 2);
            if (rc != HC_OK)
                return rc;
        }
    }
    if (!has_users) {
        hc_status rc =
            other_doc_fail(other, page_off, "a consumed-licenses page");
        if (rc != HC_OK)
            return rc;
    }
    if (!has_users)
        return hc__job_fail(job_, HC_ERR_DATA, page_off, false,
                            "missing field 'users' in a consumed-licenses "
                            "page");
    return HC_OK;
}

/* One consumed-licenses document: a page, or an array of pages. */
hc_status reader::ghec_doc(ondemand::document_reference doc, size_t doc_off,
                           bool first)
{
    jtype t;
    error_code e = doc.type().get(t);
    if (e)
        return syntax(e, first ? "expected a JSON value"
                               : "unexpected content after a JSON document, "
                                 "expected another consumed-licenses page");
    if (t == jtype::object) {
        ondemand::object page;
        if ((e = doc.get_object().get(page)))
            return syntax(e, "expected an object");
        return ghec_page(page, 0);
    }
    if (t != jtype::array)
        return hc__job_fail(job_, HC_ERR_DATA, doc_off, true,
                            "expected a consumed-licenses page object or an "
                            "array of pages");
    ondemand::array pages;
    if ((e = doc.get_array().get(pages)))
        return syntax(e, "expected an array");
    for (auto pr : pages) {
        ondemand::value pv;
        if ((e = std::move(pr).get(pv)))
            return syntax(e, "expected a value, or ',' or ']' after an array "
                             "element");
        size_t off = where(pv);
        ondemand::object page;
        if (pv.type().get(t) || t != jtype::object)
            return hc__job_fail(job_, HC_ERR_DATA, off, true,
                                "expected a consumed-licenses page object in "
                                "the array of pages");
        if ((e = pv.get_object().get(page)))
            return syntax(e, "expected an object");
        hc_status rc = ghec_page(page, 1);
        if (rc != HC_OK)
            return rc;
    }
    return HC_OK;
}

hc_status reader::ghec()
{
    size_t n = job_->end - job_->begin;
    last_off_ = job_->begin;
    scan_end_ = SIZE_MAX;
    if (n > json_doc_max)
        return hc__job_fail(job_, HC_ERR_LIMIT, job_->begin, false,
                            "JSON input is larger than %zu bytes",
                            json_doc_max);
    size_t pos = job_->begin;
    /* A later job of a cut input starts at a page the first job's pages
     * came before (hc__json_ghec_cuts): never the first document. */
    size_t docs = job_->index > 0 ? 1 : 0;
    if (job_->has_fd && job_->json_window) {
        hc_status rc = ghec_windows(pos, docs);
        if (rc != HC_OK)
            return rc;
    }
    if (pos < job_->end) {
        hc_status rc = ghec_mapped(pos, docs);
        if (rc != HC_OK)
            return rc;
    }
    if (docs == 0)
        return hc__job_fail(job_, HC_ERR_DATA, job_->begin, false,
                            "empty input, expected consumed-licenses JSON");
    return HC_OK;
}

/* Notes key's sign of another document in o; *taken when the member was
 * read here (a "message" string), else the caller walks it. */
hc_status reader::other_doc_member(std::string_view key, ondemand::value v,
                                   other_doc &o, bool &taken)
{
    taken = false;
    if (key == "kind")
        o.record = true;
    jtype t;
    if (key != "message" || v.type().get(t) || t != jtype::string)
        return HC_OK;
    std::string_view m;
    error_code e = v.get_string().get(m);
    if (e)
        return syntax(e, "expected a string");
    hc__show(m.data(), m.size(), 80, o.api_error, sizeof o.api_error);
    taken = true;
    return HC_OK;
}

/* The failure for an object without "users" that o says is another
 * document than `what`, at off; HC_OK when o says nothing. */
hc_status reader::other_doc_fail(const other_doc &o, size_t off,
                                 const char *what)
{
    if (o.record)
        return hc__job_fail(job_, HC_ERR_DATA, off, false,
                            "this is an NDJSON account record ('kind'), not "
                            "%s: use --records",
                            what);
    if (o.api_error[0])
        return hc__job_fail(job_, HC_ERR_DATA, off, false,
                            "this is a GitHub API error response, not %s: "
                            "'%s'",
                            what, o.api_error);
    return HC_OK;
}

/*
 * simdjson says INCOMPLETE_ARRAY_OR_OBJECT, without a place, for a
 * document cut short, for one followed by more content, and for brackets
 * that do not pair. Which it is, and where, comes from the brackets
 * outside strings: a bracket closing the other kind is named where it
 * is; a document that closes before the end has content after it
 * (unless `many` documents may follow each other, as consumed-licenses
 * pages do); one that never closes was cut short (more was expected after
 * its last byte; for pages, the message names where the page starts).
 * The scan starts at input offset `from`, a document's start.
 */
hc_status reader::incomplete_document(size_t from, bool many)
{
    const char *b = job_->base;
    size_t p = skip_ws(b, from, job_->end), end = job_->end;
    char open[HC__JSON_DEPTH_MAX]; /* kinds of the innermost brackets */
    size_t depth = 0, last = p;
    while (p < end) {
        char c = b[p];
        if (c == '"') {
            for (p++; p < end && b[p] != '"'; p++)
                p += b[p] == '\\';
        } else if (c == '{' || c == '[') {
            if (depth < sizeof open)
                open[depth] = c;
            depth++;
        } else if ((c == '}' || c == ']') && depth) {
            depth--;
            if (depth < sizeof open && open[depth] != (c == '}' ? '{' : '['))
                return hc__job_fail(job_, HC_ERR_DATA, p, true,
                                    "malformed JSON: '%c' closes an %s", c,
                                    c == '}' ? "array (expected ']')"
                                             : "object (expected '}')");
            size_t after = skip_ws(b, p + 1, end);
            if (depth == 0 && after < end && !many)
                return hc__job_fail(job_, HC_ERR_DATA, after, true,
                                    "unexpected content after the JSON "
                                    "document");
        }
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            last = p;
        p++;
    }
    /* Consumed-licenses pages name the page cut short, where it starts. */
    return hc__job_fail(job_, HC_ERR_DATA, many ? from : HC_MIN(last + 1, end),
                        true,
                        "unexpected end of input inside a JSON document "
                        "(truncated file?)");
}

/*
 * Whether the bytes from input offset pos to the job's end, which a
 * document stream left unparsed, hold one complete document followed by
 * more (a stray '}' or ']'): the stream cannot tell that from a document
 * cut short. Sets *off to where the extra content starts.
 */
bool reader::stray_after_document(size_t pos, size_t &off)
{
    size_t n = job_->end - pos;
    ondemand::document doc;
    std::string_view raw;
    if (parser_.iterate(job_->base + pos, n, n + HC__PAD).get(doc) ||
        doc.raw_json().get(raw) || at_end(doc))
        return false;
    off = where(doc);
    return true;
}

/* The pages from input offset pos to the end, parsed in the mapping. */
hc_status reader::ghec_mapped(size_t pos, size_t &docs)
{
    /* REST pages are small: start with a modest batch (simdjson's index
     * takes several times the batch in memory) and double it while a
     * document does not fit (one large page, or one array of all pages,
     * up to the whole rest of the input): one large page costs at most
     * twice its size, not an index of everything after it. */
    size_t batch = ghec_batch;
    while (pos < job_->end) {
        size_t rem = job_->end - pos;
        size_t b = rem + 64 < batch ? rem + 64 : batch;
        bool whole = b >= rem + 64;
        ondemand::document_stream stream;
        error_code e =
            parser_.iterate_many(job_->base + pos, rem, b).get(stream);
        if (e)
            return syntax(e, "expected a JSON document");
        bool grow = false;
        for (auto it = stream.begin(); it != stream.end(); ++it) {
            last_off_ = doc_start(job_, pos + it.current_index());
            ondemand::document_reference doc;
            e = (*it).get(doc);
            if (e == CAPACITY && !whole) {
                grow = true;
                break;
            }
            if (e)
                return syntax(e, "expected a consumed-licenses page");
            hc_status rc = ghec_doc(doc, last_off_, docs == 0);
            if (rc != HC_OK)
                return rc;
            docs++;
        }
        size_t trunc = stream.truncated_bytes();
        if (!grow && trunc == 0)
            break;
        if (!whole) {
            /* The unparsed rest starts at a document boundary. */
            pos = job_->end - (trunc <= rem ? trunc : rem);
            /* A document too large doubles the batch; a tail that is no
             * whole document is read whole, to say what is wrong. */
            size_t all = job_->end - pos + 64;
            batch = grow && batch < all / 2 ? batch * 2 : all;
            continue;
        }
        size_t stray;
        if (stray_after_document(job_->end - trunc, stray))
            return hc__job_fail(job_, HC_ERR_DATA, stray, true,
                                "unexpected content after the JSON document");
        /* Brackets that do not pair, else a page cut short. */
        return incomplete_document(job_->end - trunc, true);
    }
    return HC_OK;
}

/* --- NDJSON records ---------------------------------------------------- */

hc_status reader::record_source(hc_source_kind kind, std::string_view name,
                                uint32_t &id)
{
    source_cache &c = sources_;
    for (unsigned i = 0; i < c.n; i++) {
        source_cache::entry &en = c.e[i];
        if (en.kind == kind && en.len == name.size() &&
            hc__same_bytes(en.name, name.data(), name.size())) {
            id = en.id;
            return HC_OK;
        }
    }
    /* The fast path takes any string: checked here, once per new name. */
    if (kind == HC_SOURCE_GHES && !hc_host_name_valid(name.data(), name.size()))
        return HC_ERR_DATA;
    hc_status rc = job_->sink->source(job_->sink->ctx, kind, name.data(),
                                      name.size(), &id);
    if (rc != HC_OK || name.size() > sizeof c.e[0].name)
        return rc;
    unsigned slot = c.n < 8 ? c.n++ : (c.next++ & 7);
    c.e[slot].kind = kind;
    c.e[slot].id = id;
    c.e[slot].len = name.size();
    memcpy(c.e[slot].name, name.data(), name.size());
    return HC_OK;
}

hc_status reader::fallback_source(uint32_t &id)
{
    if (job_->source == UINT32_MAX) {
        const char *name = job_->name ? job_->name : "records";
        hc_status rc = job_->sink->source(job_->sink->ctx, HC_SOURCE_GHES, name,
                                          strlen(name), &job_->source);
        if (rc != HC_OK)
            return source_fail(rc, last_off_);
    }
    id = job_->source;
    return HC_OK;
}

/*
 * One record. A syntax error (or a nesting limit) sets syntax_error and
 * leaves the message pending: the caller localizes it to its line. Other
 * problems are row-level errors at `off`.
 */
template <typename D>
hc_status reader::record(D &doc, size_t off, bool &syntax_error)
{
    pending_ = false;
    syntax_error = false;
    job_->records++;
    last_off_ = off;
    hc_status rc = record_body(doc, off);
    if (rc != HC_OK && pending_) {
        syntax_error = true;
        return HC_OK;
    }
    return rc;
}

template <typename D> hc_status reader::record_body(D &doc, size_t off)
{
    /* Problems with fields of one kind only are kept apart until the kind
     * is known: a GHEC record may carry an "id" GitHub gives as a string,
     * which is no concern of a GHEC account, and the other way round. */
    row_issue ri, ri_ghes, ri_ghec;
    jtype t;
    error_code e = doc.type().get(t);
    if (e)
        return syntax(e, "expected a JSON object");
    if (t != jtype::object) {
        uint32_t src;
        hc_status rc = fallback_source(src);
        if (rc != HC_OK)
            return rc;
        return hc__job_row_error(job_, src, HC_ERR_DATA, off, true,
                                 "expected a JSON object (one account "
                                 "record per line)");
    }
    ondemand::object o;
    if ((e = doc.get_object().get(o)))
        return syntax(e, "expected a JSON object");
    std::string_view kind, source, login, primary;
    uint64_t id = 0;
    bool have_kind = false, have_source = false, have_id = false;
    bool have_login = false, suspended = false, licensed = false;
    emails_.n = emails2_.n = idents_.n = 0;
    unsigned seen = 0;
    for (auto fr : o) {
        ondemand::field f;
        if ((e = std::move(fr).get(f)))
            return syntax(e, "expected a string key, or ',' or '}' after an "
                             "object field");
        std::string_view key;
        if ((e = f.unescaped_key().get(key)))
            return syntax(e, "expected a string key");
        ondemand::value fv = f.value();
        hc_status rc;
        /* A repeat is a problem where the field's own would be: one of a
         * field of the other kind does not stop the record. */
        static const struct {
            std::string_view name;
            int which; /* 0: ri, 1: ri_ghes, 2: ri_ghec */
        } known[] = {
            {"kind", 0},      {"source", 0},          {"id", 1},
            {"login", 0},     {"primary_email", 1},   {"emails", 1},
            {"suspended", 1}, {"verified_emails", 2}, {"identity_values", 2},
            {"licensed", 2}};
        unsigned bit = 0;
        int which = 0;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (key == known[k].name) {
                bit = 1u << k;
                which = known[k].which;
            }
        if (bit && !first_time(seen, bit, key, fv,
                               which == 1   ? ri_ghes
                               : which == 2 ? ri_ghec
                                            : ri)) {
            rc = walk(fv, 1);
        } else if (key == "kind") {
            have_kind = true;
            rc = opt_string(fv, "kind", kind, ri);
        } else if (key == "source") {
            have_source = true;
            rc = opt_string(fv, "source", source, ri);
        } else if (key == "id") {
            have_id = true;
            rc = user_id(fv, id, ri_ghes);
        } else if (key == "login") {
            have_login = true;
            rc = opt_string(fv, "login", login, ri);
        } else if (key == "primary_email") {
            rc = opt_string(fv, "primary_email", primary, ri_ghes);
        } else if (key == "emails") {
            rc = string_list(fv, 1, "emails", true, &emails_, ri_ghes);
        } else if (key == "suspended") {
            rc = opt_bool(fv, "suspended", suspended, ri_ghes);
        } else if (key == "verified_emails") {
            rc = string_list(fv, 1, "verified_emails", false, &emails2_,
                             ri_ghec);
        } else if (key == "identity_values") {
            rc =
                string_list(fv, 1, "identity_values", false, &idents_, ri_ghec);
        } else if (key == "licensed") {
            rc = opt_bool(fv, "licensed", licensed, ri_ghec);
        } else {
            rc = walk(fv, 1);
        }
        if (rc != HC_OK)
            return rc;
    }
    hc_source_kind sk = HC_SOURCE_GHES;
    bool ghes = kind == "ghes", ghec = kind == "ghec";
    /* The first problem in the line among the fields that matter. */
    const row_issue &own = ghes ? ri_ghes : ri_ghec;
    if ((ghes || ghec) && own.set && (!ri.set || own.off < ri.off))
        ri = own;
    if (!have_kind)
        note(ri, HC_ERR_DATA, off,
             "missing field 'kind' (\"ghes\" or \"ghec\")");
    else if (!ghes && !ghec)
        note(ri, HC_ERR_DATA, off,
             "expected \"ghes\" or \"ghec\" in field 'kind'");
    if (ghes) {
        if (!have_source || source.empty())
            note(ri, HC_ERR_DATA, off,
                 "missing field 'source' (the GHES host) in a ghes record");
        if (!have_id)
            note(ri, HC_ERR_DATA, off, "missing field 'id' in a ghes record");
        if (!have_login)
            note(ri, HC_ERR_DATA, off,
                 "missing field 'login' in a ghes record");
    } else if (ghec) {
        sk = HC_SOURCE_GHEC;
        if (!have_source || source.empty())
            source = "ghec";
    }
    bool named = (ghes || ghec) && !source.empty();
    if (named && source.size() > HC_SOURCE_NAME_MAX) {
        note(ri, HC_ERR_DATA, off, "field 'source' is longer than %zu bytes",
             HC_SOURCE_NAME_MAX);
        named = false; /* the rejected row counts against the input */
    } else if (named && ghes &&
               !hc_host_name_valid(source.data(), source.size())) {
        note(ri, HC_ERR_DATA, off,
             "field 'source' of a ghes record is not a host "
             "name (" HC__HOST_CHARS ")");
        named = false;
    }
    uint32_t src = 0;
    hc_status rc;
    if (hold_ && !ri.set) {
        /* Held until its line is known to end here (record_line). */
        held_named_ = named;
        held_kind_ = sk;
        held_name_ = source;
    } else if (named) {
        rc = record_source(sk, source, src);
        if (rc != HC_OK)
            return source_fail(rc, off);
    } else {
        rc = fallback_source(src);
        if (rc != HC_OK)
            return rc;
    }
    if (ri.set)
        return row_done(ri, src);
    if (ghes) {
        hc_ghes_account a{};
        a.source = src;
        a.id = id;
        a.login = str_of(login);
        a.primary_email = str_of(primary);
        a.emails = list_of(emails_);
        a.n_emails = emails_.n;
        a.suspended = suspended;
        return deliver_ghes(a, off);
    }
    hc_ghec_account a{};
    a.source = src;
    a.login = str_of(login);
    a.verified_emails = list_of(emails2_);
    a.n_verified_emails = emails2_.n;
    a.identity_values = list_of(idents_);
    a.n_identity_values = idents_.n;
    a.licensed = licensed;
    return deliver_ghec(a, off);
}

/*
 * The full reader for one NDJSON line [s, stop) (s past leading blanks):
 * exactly one JSON object, whatever the fast path made of it. A syntax
 * error is a row error of this line.
 */
hc_status reader::record_line(size_t s, size_t stop)
{
    const char *b = job_->base;
    size_t line_len = stop - s;
    last_off_ = s;
    scan_end_ = stop;
    if (line_len > HC_RECORD_MAX)
        return hc__job_fail(job_, HC_ERR_LIMIT, s, false,
                            "record is longer than %zu bytes", HC_RECORD_MAX);
    ondemand::document doc;
    error_code e =
        parser_.iterate(b + s, line_len, line_len + HC__PAD).get(doc);
    bool bad = false;
    pending_ = false;
    if (e == MEMALLOC)
        return hc__job_fail(job_, HC_ERR_NOMEM, s, false,
                            "out of memory parsing JSON");
    if (e) {
        job_->records++;
        bad = true;
        syntax(e, "expected one JSON object per line");
    } else {
        /* The account (its strings live in the parser's buffers until the
         * next line) is delivered only once nothing follows the object:
         * a rejected line must not have added anything. */
        held_ = held_none;
        hold_ = true;
        uint64_t rejected = job_->rejected;
        hc_status rc;
        {
            doc_scope scope(*this, &doc);
            rc = record(doc, s, bad);
        }
        hold_ = false;
        if (rc != HC_OK || job_->rejected != rejected)
            return rc; /* failed, or the row was rejected already */
        if (!bad && !at_end(doc)) {
            bad = true;
            pending_ = true;
            pending_st_ = HC_ERR_DATA;
            pending_off_ = where(doc);
            snprintf(pending_msg_, sizeof pending_msg_,
                     "unexpected content after the JSON object (one "
                     "account record per line)");
        }
        if (!bad && held_ != held_none) {
            uint32_t src;
            if (held_named_) {
                rc = record_source(held_kind_, held_name_, src);
                if (rc != HC_OK)
                    return source_fail(rc, s);
            } else if ((rc = fallback_source(src)) != HC_OK) {
                return rc;
            }
            if (held_ == held_ghes) {
                held_ghes_.source = src;
                return deliver_ghes(held_ghes_, s);
            }
            held_ghec_.source = src;
            return deliver_ghec(held_ghec_, s);
        }
    }
    if (!bad)
        return HC_OK;
    uint32_t src;
    hc_status rc = fallback_source(src);
    if (rc != HC_OK)
        return rc;
    size_t eoff =
        pending_ && pending_off_ >= s && pending_off_ < stop ? pending_off_ : s;
    return hc__job_row_error(job_, src, pending_ ? pending_st_ : HC_ERR_DATA,
                             eoff, true, "%s",
                             pending_ ? pending_msg_ : "malformed JSON record");
}

/* Delivers a record the fast path took, as record_body would have; sets
 * *refused, delivering nothing, when its GHES source is not a host name
 * (the full reader then reports the row). */
hc_status reader::deliver_fast(const hc__ndjson_rec &r, size_t off,
                               bool *refused)
{
    uint32_t src;
    hc_source_kind sk = r.ghec ? HC_SOURCE_GHEC : HC_SOURCE_GHES;
    hc_status rc =
        record_source(sk, std::string_view(r.source.ptr, r.source.len), src);
    *refused = rc == HC_ERR_DATA;
    if (*refused)
        return HC_OK;
    job_->records++;
    last_off_ = off;
    if (rc != HC_OK)
        return source_fail(rc, off);
    if (!r.ghec) {
        hc_ghes_account a{};
        a.source = src;
        a.id = r.id;
        a.login = r.login;
        a.primary_email = r.primary;
        a.emails = r.emails.v;
        a.n_emails = r.emails.n;
        a.suspended = r.suspended;
        return deliver_ghes(a, off);
    }
    hc_ghec_account a{};
    a.source = src;
    a.login = r.login;
    a.verified_emails = r.verified.v;
    a.n_verified_emails = r.verified.n;
    a.identity_values = r.identities.v;
    a.n_identity_values = r.identities.n;
    a.licensed = r.licensed;
    return deliver_ghec(a, off);
}

/*
 * Drops parsed pages of a mapped input from this process's memory as the
 * parse moves on, so resident memory stays bounded whatever the input
 * size; the last 32 MiB to 64 MiB before `upto` stay mapped.
 */
static void release_parsed(const hc__job *job, size_t upto, size_t *released)
{
    const size_t step = (size_t)32 << 20;
    if (!job->release_pages || upto < *released + 2 * step)
        return;
    hc__job_drop_pages(job, *released, upto - step);
    *released = upto - step;
}

/* Bytes read at once when streaming a file: small enough to stay in the
 * L2 cache while it is parsed. */
constexpr size_t stream_chunk = size_t(256) << 10;

/* Reads n bytes at input offset off of the job's file into buf; an error,
 * or a file that shrank, is the job's I/O error. */
static hc_status read_at(hc__job *job, char *buf, size_t n, size_t off)
{
    while (n) {
        ssize_t r = pread(job->fd, buf, n, off_t(off));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return hc__job_fail_at(job, HC_ERR_IO, 0, 0, "read error: %s",
                                   r < 0 ? strerror(errno)
                                         : "the file shrank while being read");
        buf += r;
        n -= size_t(r);
        off += size_t(r);
    }
    return HC_OK;
}

/*
 * Fills buf with the window of the job's file at pos: got bytes read, of
 * which the first len end after the last newline (or at the job's end),
 * followed by HC__PAD zero bytes. False when the read fails (rc is the
 * job's I/O error) or a window short of the end holds no newline.
 */
static bool window_read(hc__job *job, char *buf, size_t window, size_t pos,
                        size_t &got, size_t &len, hc_status &rc)
{
    size_t rem = job->end - pos;
    got = std::min(window, rem);
    rc = read_at(job, buf, got, pos);
    if (rc != HC_OK)
        return false;
    len = got;
    if (got < rem) {
        const char *nl = static_cast<const char *>(memrchr(buf, '\n', got));
        if (!nl)
            return false;
        len = size_t(nl - buf) + 1;
    }
    memset(buf + len, 0, HC__PAD);
    return true;
}

/*
 * Consumed-licenses pages of a regular file, read through a window filled
 * with pread from input offset pos on: faulting in the pages of a mapping
 * costs several times the copy, and a mapped file stays resident. A window
 * ends after its last newline, which JSON allows in no string, so the cut
 * falls outside strings and UTF-8 sequences; its complete documents are
 * parsed, and the next window starts at the first incomplete one. Stops
 * with pos at the start of a document when one does not fit a window, a
 * window holds no newline, or simdjson reports an error while splitting
 * documents: the mapping takes the rest (ghec_mapped), so such inputs are
 * read, and their errors reported, exactly as before.
 */
hc_status reader::ghec_windows(size_t &pos, size_t &docs)
{
    /* No larger than the job: simdjson's index takes several times the
     * batch, and a small file should not pay for a 4 MiB window. */
    const size_t window =
        std::max<size_t>(1, std::min(job_->json_window, job_->end - pos));
#ifdef SIMDJSON_THREADS_ENABLED
    /* A threaded stream starts a thread and a second parser for each
     * window: measured, that cost more than indexing ahead saved. */
    parser_.threaded = false;
#endif
    char *buf = static_cast<char *>(malloc(window + HC__PAD));
    if (!buf)
        return hc__job_fail_at(job_, HC_ERR_NOMEM, 0, 0,
                               "out of memory reading the input");
    hc_status rc = HC_OK;
    while (pos < job_->end) {
        size_t rem = job_->end - pos, got, len;
        if (!window_read(job_, buf, window, pos, got, len, rc))
            break;
        if (skip_ws(buf, 0, len) == len) {
            pos += len;
            continue;
        }
        view_ = buf;
        view_off_ = pos;
        view_len_ = len;
        /* One simdjson batch per window: where batches start decides
         * which of several errors simdjson meets first, so an input that
         * fits one window fails as it does in the mapping. The same batch
         * size every time, or the parser would reallocate its index
         * whenever a window came out longer than any before. */
        ondemand::document_stream stream;
        if (parser_.iterate_many(buf, len, window + 64).get(stream))
            break;
        bool failed = false; /* at a document simdjson could not split */
        size_t next = 0;     /* window bytes before the first unparsed one */
        for (auto it = stream.begin(); it != stream.end(); ++it) {
            size_t at = skip_ws(buf, it.current_index(), len);
            ondemand::document_reference doc;
            if ((*it).get(doc)) {
                failed = true;
                next = at;
                break;
            }
            last_off_ = pos + at;
            rc = ghec_doc(doc, last_off_, docs == 0);
            if (rc != HC_OK)
                break;
            docs++;
        }
        if (rc != HC_OK)
            break;
        size_t trunc = stream.truncated_bytes();
        if (!failed)
            next = len - (trunc < len ? trunc : len);
        pos += next;
        /* Done, or the mapping takes over: after an error, at a document
         * longer than the window, at the truncated end of the input. */
        if (failed || next == 0 || (got == rem && trunc))
            break;
    }
    view_ = nullptr;
    view_len_ = 0;
    free(buf);
    return rc;
}

/*
 * Where a consumed-licenses file of pages one after another may be cut so
 * that its pages are parsed on several threads: the start of the first
 * page at or after begin + every, begin + 2 * every, and so on. The pages
 * are found the way ghec_windows finds them (same windows, same simdjson
 * split), only skipped instead of parsed, so a cut is a document start the
 * serial reading would also have met. The cuts depend on the input alone,
 * never on the thread count, so that every count reads the same pages in
 * the same windows and meets the same first error. Stops at the first
 * window that would make ghec_windows stop (an error, a page longer than
 * a window, no newline): the rest is one job, read as it always was.
 */
size_t json_ghec_cuts(hc__job *job, size_t every, size_t *cut, size_t max)
{
    const size_t window = job->json_window;
    char *buf = static_cast<char *>(malloc(window + HC__PAD));
    if (!buf)
        return 0;
    ondemand::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
    parser.threaded = false;
#endif
    size_t n = 0, pos = job->begin, want = job->begin + every;
    while (pos < job->end && n < max) {
        size_t rem = job->end - pos, got, len;
        hc_status rc = HC_OK;
        if (!window_read(job, buf, window, pos, got, len, rc))
            break;
        if (skip_ws(buf, 0, len) == len) {
            pos += len;
            continue;
        }
        ondemand::document_stream stream;
        if (parser.iterate_many(buf, len, window + 64).get(stream))
            break;
        bool failed = false;
        for (auto it = stream.begin(); it != stream.end() && n < max; ++it) {
            ondemand::document_reference doc;
            if ((*it).get(doc)) {
                failed = true;
                break;
            }
            size_t at = pos + skip_ws(buf, it.current_index(), len);
            if (at >= want && at > job->begin) {
                cut[n++] = at;
                want = at + every;
            }
        }
        size_t trunc = stream.truncated_bytes();
        size_t next = len - (trunc < len ? trunc : len);
        if (failed || next == 0 || (got == rem && trunc))
            break;
        pos += next;
    }
    free(buf);
    return n;
}

/*
 * records() for a mapped regular file: the fast path reads the job's
 * range through a small buffer filled with pread. Faulting 4 KiB pages of
 * a large mapping in one by one costs several times more than copying the
 * bytes out of the page cache, and touches nothing that has to be
 * released later. Lines the fast path declines (and lines longer than the
 * buffer) are read from the mapping by the full reader, as are line
 * numbers for errors; both are the same bytes.
 */
/*
 * The records of the lines in buf[from, to), where buf[0] is input offset
 * `at` and `to` is a line end or the job's end. Each line goes to the fast
 * path (when `fast`) and otherwise to the full reader on its own, which
 * reads it from the mapping: the same bytes.
 */
hc_status reader::lines(const char *buf, size_t from, size_t to, size_t at,
                        bool fast, line_walk &w)
{
    hc__ndjson_rec r;
    const char *p = buf + from, *end = buf + to;
    while (p < end) {
        p = buf + skip_ws(buf, size_t(p - buf), to);
        if (p == end)
            break;
        size_t off = at + size_t(p - buf);
        if ((++w.count & 4095) == 0) {
            if (hc__job_cancelled(job_)) {
                w.cancelled = true;
                return HC_OK;
            }
            release_parsed(job_, off, &w.released);
        }
        size_t n = fast ? hc__ndjson_fast(p, end, &r) : 0;
        hc_status rc = HC_OK;
        bool refused = false;
        if (n && ((rc = deliver_fast(r, off, &refused)) != HC_OK || !refused)) {
            p += n;
        } else {
            const char *nl =
                static_cast<const char *>(memchr(p, '\n', size_t(end - p)));
            rc = record_line(off, at + size_t((nl ? nl : end) - buf));
            p = nl ? nl + 1 : end;
        }
        if (rc != HC_OK)
            return rc;
    }
    return HC_OK;
}

hc_status reader::records_streamed()
{
    char *buf = static_cast<char *>(malloc(stream_chunk));
    if (!buf)
        return hc__job_fail_at(job_, HC_ERR_NOMEM, 0, 0,
                               "out of memory reading the input");
    const char *b = job_->base;
    size_t at = job_->begin; /* file offset of buf[0] */
    line_walk w{job_->begin, 0, false};
    hc_status rc = HC_OK;
    while (at < job_->end && rc == HC_OK && !w.cancelled) {
        size_t got = std::min(stream_chunk, job_->end - at);
        rc = read_at(job_, buf, got, at);
        if (rc != HC_OK)
            break;
        size_t to = got;
        if (at + got < job_->end) {
            /* Only whole lines: the fast path must see where each ends. */
            const char *nl = static_cast<const char *>(memrchr(buf, '\n', got));
            if (!nl) {
                /* A line longer than the buffer: read it in the mapping. */
                const char *e = static_cast<const char *>(
                    memchr(b + at, '\n', job_->end - at));
                size_t stop = e ? size_t(e - b) + 1 : job_->end;
                rc = lines(b, at, stop, 0, true, w);
                at = stop;
                continue;
            }
            to = size_t(nl - buf) + 1;
        }
        rc = lines(buf, 0, to, at, true, w);
        at += to;
    }
    free(buf);
    return rc;
}

/*
 * NDJSON: one record per line. Each line goes to the fast path
 * (read_ndjson.h) and, when that does not take it, to the full reader on
 * its own, so a bad line is an error of that line only and both paths see
 * the same lines.
 */
hc_status reader::records()
{
#ifdef SIMDJSON_THREADS_ENABLED
    /* The readers parallelize across chunks themselves. */
    parser_.threaded = false;
#endif
    defer_ = true;
    const bool fast = !hc__ndjson_fast_off;
    if (job_->has_fd && fast)
        return records_streamed();
    line_walk w{job_->begin, 0, false};
    return lines(job_->base, job_->begin, job_->end, 0, fast, w);
}

template <typename F> hc_status guarded(hc__job *job, F body)
{
    try {
        return body();
    } catch (const std::bad_alloc &) {
        return hc__job_fail_at(job, HC_ERR_NOMEM, 0, 0,
                               "out of memory parsing JSON");
    } catch (...) {
        return hc__job_fail_at(job, HC_ERR_INTERNAL, 0, 0,
                               "internal error in the JSON reader");
    }
}

} // namespace

extern "C" hc_status hc__json_ghes(hc__job *job)
{
    return guarded(job, [job] {
        reader r(job);
        return r.ghes();
    });
}

extern "C" hc_status hc__json_ghec(hc__job *job)
{
    return guarded(job, [job] {
        reader r(job);
        return r.ghec();
    });
}

extern "C" size_t hc__json_ghec_cuts(hc__job *job, size_t every, size_t *cut,
                                     size_t max)
{
    try {
        return json_ghec_cuts(job, every, cut, max);
    } catch (...) {
        return 0; /* no cuts: the input is read whole, as before */
    }
}

extern "C" hc_status hc__json_records(hc__job *job)
{
    return guarded(job, [job] {
        reader r(job);
        return r.records();
    });
}
