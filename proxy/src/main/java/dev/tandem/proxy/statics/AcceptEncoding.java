package dev.tandem.proxy.statics;

/**
 * Which of the precompressed codings Tandem can serve ({@code br}, {@code gzip}) a client accepts, from its
 * {@code Accept-Encoding} (RFC 9110 section 12.5.3): a coding is accepted when listed (or covered by
 * {@code *}) with a non-zero weight. {@code x-gzip} counts as {@code gzip}. The weights' order is not
 * followed: brotli is chosen whenever it is accepted, since it is the smaller of the two.
 */
final class AcceptEncoding {

    static final int BROTLI = 1;
    static final int GZIP = 2;

    private AcceptEncoding() {
    }

    /** A bit set of {@link #BROTLI} and {@link #GZIP}. */
    static int accepted(String header) {
        if (header == null) {
            return 0;
        }
        int br = -1;
        int gzip = -1;
        int star = -1;
        int start = 0;
        int n = header.length();
        while (start < n) {
            int end = header.indexOf(',', start);
            if (end < 0) {
                end = n;
            }
            int semi = header.indexOf(';', start);
            int tokenEnd = semi >= 0 && semi < end ? semi : end;
            String coding = header.substring(start, tokenEnd).trim();
            int ok = semi >= 0 && semi < end ? (weightIsZero(header.substring(semi + 1, end)) ? 0 : 1) : 1;
            if (coding.equalsIgnoreCase("br")) {
                br = ok;
            } else if (coding.equalsIgnoreCase("gzip") || coding.equalsIgnoreCase("x-gzip")) {
                gzip = Math.max(gzip, ok);
            } else if (coding.equals("*")) {
                star = ok;
            }
            start = end + 1;
        }
        int result = 0;
        if (br == 1 || br < 0 && star == 1) {
            result |= BROTLI;
        }
        if (gzip == 1 || gzip < 0 && star == 1) {
            result |= GZIP;
        }
        return result;
    }

    /** Whether the parameters carry {@code q=0} (any of 0, 0., 0.0, 0.00, 0.000). */
    private static boolean weightIsZero(String params) {
        for (String p : params.split(";")) {
            String t = p.trim();
            if (t.length() >= 2 && (t.charAt(0) == 'q' || t.charAt(0) == 'Q') && t.charAt(1) == '=') {
                String v = t.substring(2).trim();
                if (v.isEmpty() || v.charAt(0) != '0') {
                    return false;
                }
                for (int i = 1; i < v.length(); i++) {
                    char c = v.charAt(i);
                    if (c != '.' && c != '0') {
                        return false;
                    }
                }
                return true;
            }
        }
        return false;
    }
}
