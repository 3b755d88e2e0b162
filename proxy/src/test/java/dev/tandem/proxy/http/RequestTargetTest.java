package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.LimitsConfig;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RequestTargetTest {

    private static final LimitsConfig LIMITS = new LimitsConfig(1024, 1000, Duration.ofSeconds(60), Duration.ofSeconds(75));

    private static HttpRequest request(HttpVersion version, HttpMethod method, String uri, String... headers) {
        HttpRequest r = new DefaultHttpRequest(version, method, uri);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    private static RequestTarget check(String uri, String... headers) {
        return RequestTarget.check(request(HttpVersion.HTTP_1_1, HttpMethod.GET, uri, headers), LIMITS);
    }

    @Test
    void originFormKeepsItsTargetAndTakesTheHostHeader() {
        RequestTarget t = check("/a/b?c=d", "Host", "Example.com:8080");
        assertEquals(0, t.status());
        assertEquals("Example.com:8080", t.host());
        assertEquals("/a/b?c=d", t.target());
    }

    @Test
    void absoluteFormWinsOverTheHostHeader() {
        RequestTarget t = check("http://api.example:81/x?y", "Host", "other.example");
        assertEquals(0, t.status());
        assertEquals("api.example:81", t.host());
        assertEquals("/x?y", t.target());
        RequestTarget bare = check("HTTPS://api.example?q", "Host", "x");
        assertEquals("api.example", bare.host());
        assertEquals("/?q", bare.target());
    }

    @Test
    void http11NeedsExactlyOneValidHost() {
        assertEquals(400, check("/").status());
        assertEquals(400, check("/", "Host", "a.example", "Host", "b.example").status());
        assertEquals(400, check("/", "Host", "bad host").status());
        assertEquals(400, check("/", "Host", "a/b").status());
        assertEquals(400, check("/", "Host", "a.example:80x").status());
        assertEquals(400, check("/", "Host", "").status());
    }

    @Test
    void http10WithoutHostTakesTheAddressTheClientReached() {
        RequestTarget t = RequestTarget.check(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/"), LIMITS, "192.0.2.7:8080");
        assertEquals(0, t.status());
        assertEquals("192.0.2.7:8080", t.host());
        RequestTarget v6 = RequestTarget.check(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/"), LIMITS, "[2001:db8::1]:80");
        assertEquals("[2001:db8::1]:80", v6.host());
        assertEquals(400, RequestTarget.check(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/"), LIMITS).status(),
                "without an address to fall back on");
        RequestTarget own = RequestTarget.check(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/", "Host", "a.example"),
                LIMITS, "192.0.2.7:8080");
        assertEquals("a.example", own.host());
    }

    @Test
    void controlsSpacesAndFragmentsInTheTargetAreRefused() {
        for (String uri : new String[] {"/a\u0000b", "/a?x=\u0000", "/a\u0001b", "/a\u001b[0mb", "/a\u007fb", "/a\u000bb",
                "/a\tb", "/a#frag", "/a%zz", "/a%2", "/a%", "http://h/a\u0000"}) {
            assertEquals(400, check(uri, "Host", "h").status(), uri);
        }
    }

    @Test
    void nonAsciiOctetsAndPercentInTheQueryPassAsTheyAre() {
        for (String uri : new String[] {"/caf\u00c3\u00a9", "/caf\u00e9", "/a?q=100%", "/a%2Fb%20c", "/a?b=|{}\"^`"}) {
            RequestTarget t = check(uri, "Host", "h");
            assertEquals(0, t.status(), uri);
            assertEquals(uri, t.target());
        }
    }

    @Test
    void onlyASingleChunkedCodingIsAccepted() {
        assertEquals(0, check("/", "Host", "h", "Transfer-Encoding", "chunked").status());
        assertEquals(0, check("/", "Host", "h", "Transfer-Encoding", "Chunked").status());
        for (String te : new String[] {"identity, chunked", "gzip, chunked", "chunked, chunked", "chunked,", ", chunked",
                "identity", "xchunked"}) {
            assertEquals(400, check("/", "Host", "h", "Transfer-Encoding", te).status(), te);
        }
        assertEquals(400, check("/", "Host", "h", "Transfer-Encoding", "chunked", "Transfer-Encoding", "chunked").status());
    }

    @Test
    void targetsThatAreNeitherOriginNorAbsoluteFormAreRefused() {
        assertEquals(400, check("example.com/x", "Host", "h").status());
        assertEquals(400, check("ftp://example.com/x", "Host", "h").status());
        assertEquals(400, check("http:///x", "Host", "h").status());
        assertEquals(0, RequestTarget.check(request(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS, "*", "Host", "h"), LIMITS).status());
        assertEquals(400, check("*", "Host", "h").status());
    }

    @Test
    void connectAndOtherVersionsAreRefused() {
        assertEquals(405, RequestTarget.check(request(HttpVersion.HTTP_1_1, HttpMethod.CONNECT, "a:443", "Host", "a"), LIMITS).status());
        assertEquals(505, RequestTarget.check(request(HttpVersion.valueOf("HTTP/1.2"), HttpMethod.GET, "/", "Host", "a"), LIMITS).status());
    }

    @Test
    void aDeclaredBodyOverTheLimitIsRefusedBeforeItIsRead() {
        assertEquals(413, check("/", "Host", "h", "Content-Length", "1001").status());
        assertEquals(0, check("/", "Host", "h", "Content-Length", "1000").status());
    }

    @Test
    void headersOverTheLimitAreRefused() {
        assertEquals(431, check("/", "Host", "h", "X-Big", "x".repeat(1024)).status());
    }

    @Test
    void onlyExpect100ContinueIsUnderstood() {
        assertEquals(0, check("/", "Host", "h", "Expect", "100-Continue").status());
        assertEquals(417, check("/", "Host", "h", "Expect", "something-else").status());
    }

    /** A request as the client pipeline decodes it: header fields as they came, not validated on the way in. */
    private static RequestTarget unvalidated(String name, String value) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/",
                DefaultHttpHeadersFactory.headersFactory().withValidation(false));
        r.headers().add("Host", "h").add(name, value);
        return RequestTarget.check(r, LIMITS);
    }

    @Test
    void headerNamesMustBeTokens() {
        assertEquals(0, unvalidated("X-Ok_1!#$%&'*+.^`|~", "v").status());
        assertEquals(400, unvalidated("Content-Length ", "5").status());
        assertEquals(400, unvalidated("Bad Header", "v").status());
        assertEquals(400, unvalidated("", "v").status());
        assertEquals(400, unvalidated("X\u0000", "v").status());
        assertEquals(400, unvalidated("X:Y", "v").status());
        assertEquals(400, unvalidated("X\u00e9", "v").status());
    }

    @Test
    void headerValuesMustBeFieldContent() {
        assertEquals(0, unvalidated("X", "").status());
        assertEquals(0, unvalidated("X", "a b\tc \"q\" \u00e9\u00ff").status());
        assertEquals(400, unvalidated("X", "a\rb").status());
        assertEquals(400, unvalidated("X", "a\nb").status());
        assertEquals(400, unvalidated("X", "a\u0000b").status());
        assertEquals(400, unvalidated("X", "a\u007fb").status());
        assertEquals(400, unvalidated("X", "\u0001a").status());
        RequestTarget t = unvalidated("X-Evil", "a\rSet-Cookie: x");
        assertEquals("invalid value of header X-Evil", t.reason());
    }

    @Test
    void authorities() {
        assertTrue(RequestTarget.validAuthority("example.com"));
        assertTrue(RequestTarget.validAuthority("example.com:8080"));
        assertTrue(RequestTarget.validAuthority("10.0.0.1:80"));
        assertTrue(RequestTarget.validAuthority("[2001:db8::1]:443"));
        assertTrue(RequestTarget.validAuthority("[::1]"));
        assertFalse(RequestTarget.validAuthority("[::1"));
        assertFalse(RequestTarget.validAuthority("[zz::1]"));
        assertFalse(RequestTarget.validAuthority(":80"));
        assertFalse(RequestTarget.validAuthority("a b"));
        assertFalse(RequestTarget.validAuthority("a@b"));
        assertFalse(RequestTarget.validAuthority("a:123456"));
        assertFalse(RequestTarget.validAuthority(""));
    }
}
