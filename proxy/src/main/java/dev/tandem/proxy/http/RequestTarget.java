package dev.tandem.proxy.http;

import dev.tandem.conf.LimitsConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks a request head before anything is done with it, and works out where it is going: the host that
 * routes it and the origin-form target sent upstream. Rules from RFC 9110 (section 5.5), RFC 9112 (sections
 * 3.2 and 6) and the configured limits.
 *
 * <p>The client pipeline's decoder does not validate header fields itself (see {@link ClientChannelInitializer}):
 * this is where every field of a request is checked, once, before any of it is used or sent on. The decoder
 * still does the framing checks (conflicting Content-Length and Transfer-Encoding, bad chunk sizes, bare LF).
 *
 * @param status  0 when the request is acceptable, else the status to refuse it with
 * @param host    the request's host (authority of an absolute-form target, else the Host header), or null
 * @param target  the origin-form target to send upstream
 */
record RequestTarget(int status, String reason, String host, String target) {

    /** RFC 9110 tchar. */
    private static final boolean[] TOKEN = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 'a' + 'A'] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
    }

    static RequestTarget refuse(int status, String reason) {
        return new RequestTarget(status, reason, null, null);
    }

    static RequestTarget check(HttpRequest request, LimitsConfig limits) {
        return check(request, limits, null);
    }

    /**
     * @param defaultHost the host of an HTTP/1.0 request without Host: the address and port the client
     *                    connected to (null: such a request is refused)
     */
    static RequestTarget check(HttpRequest request, LimitsConfig limits, String defaultHost) {
        String badField = invalidField(request.headers());
        if (badField != null) {
            return refuse(400, badField);
        }
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return refuse(505, "unsupported HTTP version " + version);
        }
        if (HttpMethod.CONNECT.equals(request.method())) {
            return refuse(405, "CONNECT is not supported");
        }
        if (headerBytes(request) > limits.maxHeaderBytes()) {
            return refuse(431, "request head over max_header_bytes");
        }

        int hostFields = hostFields(request.headers());
        if (hostFields > 1 || (hostFields == 0 && version.equals(HttpVersion.HTTP_1_1))) {
            return refuse(400, hostFields == 0 ? "missing Host" : "several Host headers");
        }
        String host = hostFields == 0 ? defaultHost : request.headers().get(HttpHeaderNames.HOST).trim();
        if (host == null) {
            return refuse(400, "missing Host");
        }
        if (!validAuthority(host)) {
            return refuse(400, "invalid Host");
        }
        if (request.headers() instanceof DecodedRequestHeaders decoded && decoded.contentLengthFields() > 1) {
            return refuse(400, "several Content-Length fields");
        }
        String badCoding = invalidTransferCoding(request.headers());
        if (badCoding != null) {
            return refuse(400, badCoding);
        }

        String uri = request.uri();
        String badTarget = invalidTarget(uri);
        if (badTarget != null) {
            return refuse(400, badTarget);
        }
        String target;
        if (uri.startsWith("/")) {
            target = uri;
        } else if (uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8)) {
            int authorityStart = uri.indexOf("//") + 2;
            int pathStart = firstOf(uri, authorityStart, "/?#");
            String authority = uri.substring(authorityStart, pathStart);
            if (authority.isEmpty() || !validAuthority(authority)) {
                return refuse(400, "invalid authority");
            }
            host = authority;
            String rest = uri.substring(pathStart);
            target = rest.startsWith("/") ? rest : "/" + rest;
        } else if (uri.equals("*") && HttpMethod.OPTIONS.equals(request.method())) {
            target = uri;
        } else {
            return refuse(400, "invalid request target");
        }

        long length = HttpUtil.getContentLength(request, -1L);
        if (length > limits.maxBodyBytes()) {
            return refuse(413, "body over max_body_bytes");
        }
        if (version.equals(HttpVersion.HTTP_1_1) && request.headers().contains(HttpHeaderNames.EXPECT)) {
            // Every Expect field, not the first alone: a second one would reach no one (Expect is not forwarded).
            for (String expect : request.headers().getAll(HttpHeaderNames.EXPECT)) {
                if (!HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
                    return refuse(417, "unsupported Expect");
                }
            }
        }
        return new RequestTarget(0, null, host, target);
    }

    /**
     * How many Host fields {@code headers} has. Where the decoder saw at most one, whether there is one says it
     * without making a list of them.
     */
    private static int hostFields(HttpHeaders headers) {
        if (headers instanceof DecodedRequestHeaders decoded && decoded.hostFields() <= 1) {
            return headers.contains(HttpHeaderNames.HOST) ? 1 : 0;
        }
        return headers.getAll(HttpHeaderNames.HOST).size();
    }

    /**
     * What is wrong with the octets of a request-target, or null when nothing is (RFC 9112 section 3.2, RFC
     * 3986). Each char is one octet of the request line. Controls (NUL included), space and DEL are refused:
     * a server behind us might cut the path at a NUL or write the control into its logs. So is {@code #}:
     * a fragment is never sent, and servers disagree on where a path with one ends. A {@code %} in the path
     * must start a percent-encoded octet. Octets above 0x7F are kept and forwarded as they are, as nginx does
     * (the proxy never decodes the target it forwards; routing and the static-file lookup decode copies).
     */
    static String invalidTarget(String uri) {
        int n = uri.length();
        int query = n;
        for (int i = 0; i < n; i++) {
            char c = uri.charAt(i);
            if (c <= ' ' || c == 0x7F) {
                return "control character or space in the request target";
            }
            if (c > 0xFF) {
                return "request target outside the request line's octets";
            }
            if (c == '#') {
                return "fragment in the request target";
            }
            if (c == '?' && query == n) {
                query = i;
            }
        }
        for (int i = 0; i < query; i++) {
            if (uri.charAt(i) == '%' && (i + 2 >= query
                    || Character.digit(uri.charAt(i + 1), 16) < 0 || Character.digit(uri.charAt(i + 2), 16) < 0)) {
                return "invalid percent-encoding in the request path";
            }
        }
        return null;
    }

    /**
     * What is wrong with the request's transfer codings, or null when it has none or exactly {@code chunked}.
     * The proxy decodes no other coding, and cannot tell where a body in one ends; {@code identity, chunked}
     * and {@code chunked, chunked} are read differently by different servers (request smuggling).
     */
    static String invalidTransferCoding(HttpHeaders headers) {
        List<String> fields = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (fields.isEmpty()) {
            return null;
        }
        int codings = 0;
        for (String field : fields) {
            for (String coding : field.split(",", -1)) {
                String c = coding.strip();
                if (!HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(c)) {
                    return "transfer coding other than chunked";
                }
                codings++;
            }
        }
        return codings == 1 ? null : "transfer coding other than chunked";
    }

    /** The request line and header lines as they were on the wire, give or take whitespace. */
    private static long headerBytes(HttpRequest request) {
        long bytes = request.method().name().length() + request.uri().length() + 11;
        Iterator<Map.Entry<CharSequence, CharSequence>> it = request.headers().iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> h = it.next();
            bytes += h.getKey().length() + h.getValue().length() + 4;
        }
        return bytes;
    }

    /**
     * What is wrong with the first header field that is not a token name with a field-content value (RFC 9110
     * section 5), or null when all are. A header name with a space before its colon ends up here too (the
     * decoder keeps the space in the name), as do CR, LF and other controls in a value: nothing that a server
     * behind us could read differently from us gets through.
     */
    static String invalidField(HttpHeaders headers) {
        Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> h = it.next();
            CharSequence name = h.getKey();
            if (!isToken(name)) {
                return "invalid header name";
            }
            if (!isFieldContent(h.getValue())) {
                return "invalid value of header " + name;
            }
        }
        return null;
    }

    private static boolean isToken(CharSequence s) {
        int n = s.length();
        if (n == 0) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= TOKEN.length || !TOKEN[c]) {
                return false;
            }
        }
        return true;
    }

    /** Visible characters and obs-text, with single spaces and tabs between them: no controls, no DEL. */
    private static boolean isFieldContent(CharSequence s) {
        int n = s.length();
        if (n == 0) {
            return true;
        }
        char first = s.charAt(0);
        if (first <= ' ' || first == 0x7F) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = s.charAt(i);
            if ((c < ' ' && c != '\t') || c == 0x7F) {
                return false;
            }
        }
        return true;
    }

    /** host[:port] with the characters of a reg-name, an IPv4 address or a bracketed IPv6 address. */
    static boolean validAuthority(String authority) {
        if (authority.isEmpty()) {
            return false;
        }
        int i = 0;
        int n = authority.length();
        if (authority.charAt(0) == '[') {
            int close = authority.indexOf(']');
            if (close < 0) {
                return false;
            }
            for (int j = 1; j < close; j++) {
                char c = authority.charAt(j);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return false;
                }
            }
            i = close + 1;
        } else {
            for (; i < n && authority.charAt(i) != ':'; i++) {
                char c = authority.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '.' || c == '_' || c == '~' || c == '!' || c == '$' || c == '&'
                        || c == '\'' || c == '(' || c == ')' || c == '*' || c == '+' || c == ',' || c == ';'
                        || c == '=' || c == '%';
                if (!ok) {
                    return false;
                }
            }
            if (i == 0) {
                return false;
            }
        }
        if (i == n) {
            return true;
        }
        if (authority.charAt(i) != ':' || i + 1 == n || n - i - 1 > 5) {
            return i + 1 == n && authority.charAt(i) == ':';
        }
        for (int j = i + 1; j < n; j++) {
            if (authority.charAt(j) < '0' || authority.charAt(j) > '9') {
                return false;
            }
        }
        return true;
    }

    private static int firstOf(String s, int from, String chars) {
        for (int i = from; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }
}
