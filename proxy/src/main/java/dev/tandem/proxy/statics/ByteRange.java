package dev.tandem.proxy.statics;

/**
 * The part of a file a {@code Range} header asks for (RFC 9110 section 14.2): a single byte range is
 * served as 206; several ranges are served whole (200), which the RFC allows and which spares a
 * multipart body that few clients want; a header that is not valid {@code bytes=} syntax is ignored.
 *
 * @param kind  what to send
 * @param first the first byte, for {@link Kind#PARTIAL}
 * @param last  the last byte (inclusive), for {@link Kind#PARTIAL}
 */
record ByteRange(Kind kind, long first, long last) {

    enum Kind { WHOLE, PARTIAL, UNSATISFIABLE }

    static final ByteRange WHOLE = new ByteRange(Kind.WHOLE, 0, -1);
    static final ByteRange UNSATISFIABLE = new ByteRange(Kind.UNSATISFIABLE, 0, -1);

    long length() {
        return last - first + 1;
    }

    /** What {@code header} asks of a file of {@code size} bytes; null header means the whole file. */
    static ByteRange parse(String header, long size) {
        if (header == null) {
            return WHOLE;
        }
        String h = header.trim();
        if (h.length() < 6 || !h.regionMatches(true, 0, "bytes", 0, 5)) {
            return WHOLE;
        }
        int eq = 5;
        while (eq < h.length() && (h.charAt(eq) == ' ' || h.charAt(eq) == '\t')) {
            eq++;
        }
        if (eq >= h.length() || h.charAt(eq) != '=') {
            return WHOLE;
        }
        String set = h.substring(eq + 1).trim();
        if (set.indexOf(',') >= 0) {
            // Several ranges: the server may ignore Range, and does (see the class comment).
            return WHOLE;
        }
        return spec(set, size);
    }

    private static ByteRange spec(String spec, long size) {
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return WHOLE;
        }
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        if (a.isEmpty()) {
            long suffix = number(b);
            if (suffix < 0) {
                return WHOLE;
            }
            if (suffix == 0) {
                return UNSATISFIABLE;
            }
            if (size == 0) {
                // The last n bytes of nothing: the (empty) whole, since no Content-Range can describe it.
                return WHOLE;
            }
            return new ByteRange(Kind.PARTIAL, Math.max(0, size - suffix), size - 1);
        }
        long first = number(a);
        if (first < 0) {
            return WHOLE;
        }
        long last;
        if (b.isEmpty()) {
            last = Long.MAX_VALUE;
        } else {
            last = number(b);
            if (last < 0 || last < first) {
                return WHOLE;
            }
        }
        if (first >= size) {
            return UNSATISFIABLE;
        }
        return new ByteRange(Kind.PARTIAL, first, Math.min(last, size - 1));
    }

    /** A non-negative decimal number, or -1 when it is not one (or does not fit in a long). */
    private static long number(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }
}
