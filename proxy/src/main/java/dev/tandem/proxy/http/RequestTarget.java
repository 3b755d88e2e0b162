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

        List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && version.equals(HttpVersion.HTTP_1_1))) {
            return refuse(400, hosts.isEmpty() ? "missing Host" : "several Host headers");
        }
        String host = hosts.isEmpty() ? null : hosts.get(0).trim();
        if (host != null && !validAuthority(host)) {
            return refuse(400, "invalid Host");
        }

        String uri = request.uri();
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
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && version.equals(HttpVersion.HTTP_1_1)
                && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
            return refuse(417, "unsupported Expect");
        }
        return new RequestTarget(0, null, host, target);
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
