package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.Cidr;
import dev.tandem.conf.ForwardingConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwardingHeadersTest {

    private static final ForwardingConfig TRUSTING_10 = new ForwardingConfig(List.of(Cidr.parse("10.0.0.0/8")));
    private static final ForwardingConfig TRUSTING_NONE = new ForwardingConfig(List.of());

    private static InetSocketAddress peer(String address) {
        return new InetSocketAddress(address, 50_000);
    }

    private static HttpHeaders forged() {
        return new DefaultHttpHeaders()
                .add("X-Forwarded-For", "1.2.3.4")
                .add("X-Real-IP", "1.2.3.4")
                .add("X-Forwarded-Proto", "https")
                .add("X-Forwarded-Host", "forged.example")
                .add("Forwarded", "for=1.2.3.4");
    }

    @Test
    void anUntrustedPeerCannotForgeItsAddress() {
        HttpHeaders h = forged();
        ForwardingHeaders.apply(h, peer("203.0.113.7"), "http", "site.example", TRUSTING_10);
        assertEquals(List.of("203.0.113.7"), h.getAll("X-Forwarded-For"));
        assertEquals("203.0.113.7", h.get("X-Real-IP"));
        assertEquals("http", h.get("X-Forwarded-Proto"));
        assertEquals("site.example", h.get("X-Forwarded-Host"));
        assertEquals(List.of("for=203.0.113.7;host=site.example;proto=http"), h.getAll("Forwarded"));
    }

    @Test
    void aTrustedProxyIsBelievedAndExtended() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("X-Forwarded-For", "198.51.100.9, 10.1.1.1")
                .add("X-Forwarded-Proto", "https")
                .add("X-Forwarded-Host", "public.example")
                .add("Forwarded", "for=198.51.100.9;proto=https");
        ForwardingHeaders.apply(h, peer("10.2.2.2"), "http", "internal.example", TRUSTING_10);
        assertEquals("198.51.100.9, 10.1.1.1, 10.2.2.2", h.get("X-Forwarded-For"));
        // the nearest address, walking back, that is not one of our proxies
        assertEquals("198.51.100.9", h.get("X-Real-IP"));
        assertEquals("https", h.get("X-Forwarded-Proto"));
        assertEquals("public.example", h.get("X-Forwarded-Host"));
        assertEquals("for=198.51.100.9;proto=https, for=10.2.2.2;host=internal.example;proto=http", h.get("Forwarded"));
    }

    @Test
    void severalXForwardedForLinesFromATrustedProxyAreJoined() {
        HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", "198.51.100.1").add("X-Forwarded-For", "10.0.0.5");
        ForwardingHeaders.apply(h, peer("10.0.0.6"), "http", "h", TRUSTING_10);
        assertEquals(List.of("198.51.100.1, 10.0.0.5, 10.0.0.6"), h.getAll("X-Forwarded-For"));
        assertEquals("198.51.100.1", h.get("X-Real-IP"));
    }

    @Test
    void aTrustedPeerWithoutHeadersIsTheClient() {
        HttpHeaders h = new DefaultHttpHeaders();
        ForwardingHeaders.apply(h, peer("10.0.0.6"), "https", "h", TRUSTING_10);
        assertEquals("10.0.0.6", h.get("X-Forwarded-For"));
        assertEquals("10.0.0.6", h.get("X-Real-IP"));
        assertEquals("https", h.get("X-Forwarded-Proto"));
    }

    @Test
    void realIpStopsAtAHopThatIsNotAnAddress() {
        assertEquals("10.0.0.3", ForwardingHeaders.realClient("garbage, 10.0.0.3", "10.0.0.4", TRUSTING_10));
        assertEquals("10.0.0.3", ForwardingHeaders.realClient("10.0.0.3", "10.0.0.4", TRUSTING_10));
        assertEquals("192.0.2.1", ForwardingHeaders.realClient("192.0.2.1, 10.0.0.3", "10.0.0.4", TRUSTING_10));
    }

    @Test
    void withNoTrustedProxiesEveryIncomingValueIsReplaced() {
        HttpHeaders h = forged();
        ForwardingHeaders.apply(h, peer("10.0.0.1"), "http", "h", TRUSTING_NONE);
        assertEquals("10.0.0.1", h.get("X-Forwarded-For"));
        assertEquals("for=10.0.0.1;host=h;proto=http", h.get("Forwarded"));
    }

    @Test
    void ipv6ClientsAreBracketedAndQuotedInForwarded() {
        HttpHeaders h = new DefaultHttpHeaders();
        ForwardingHeaders.apply(h, peer("2001:db8::7"), "https", "[2001:db8::1]:8443", TRUSTING_NONE);
        assertEquals("2001:db8::7", h.get("X-Forwarded-For"));
        assertEquals("for=\"[2001:db8::7]\";host=\"[2001:db8::1]:8443\";proto=https", h.get("Forwarded"));
    }

    @Test
    void aHostWithCharactersOutsideATokenIsQuoted() {
        HttpHeaders h = new DefaultHttpHeaders();
        ForwardingHeaders.apply(h, peer("192.0.2.1"), "http", "a.example:8080", TRUSTING_NONE);
        assertEquals("for=192.0.2.1;host=\"a.example:8080\";proto=http", h.get("Forwarded"));
    }

    @Test
    void withoutAHostThereIsNoForwardedHost() {
        HttpHeaders h = forged();
        ForwardingHeaders.apply(h, peer("192.0.2.1"), "http", null, TRUSTING_NONE);
        assertFalse(h.contains("X-Forwarded-Host"));
        assertEquals("for=192.0.2.1;proto=http", h.get("Forwarded"));
    }

    @Test
    void oneConnectionsRequestsEachGetTheirOwnHostAndTheTrustOfTheConfigInForce() {
        ForwardingHeaders connection = new ForwardingHeaders(peer("10.2.2.2"));
        assertEquals("10.2.2.2", connection.client());
        HttpHeaders first = forged();
        connection.apply(first, "http", "a.example", TRUSTING_10);
        assertEquals("for=1.2.3.4, for=10.2.2.2;host=a.example;proto=http", first.get("Forwarded"));
        HttpHeaders second = new DefaultHttpHeaders();
        connection.apply(second, "http", "b.example", TRUSTING_10);
        assertEquals("for=10.2.2.2;host=b.example;proto=http", second.get("Forwarded"));
        HttpHeaders noHost = new DefaultHttpHeaders();
        connection.apply(noHost, "https", null, TRUSTING_10);
        assertEquals("for=10.2.2.2;proto=https", noHost.get("Forwarded"));
        // A reload that no longer trusts the peer applies to the connection's next request.
        HttpHeaders afterReload = forged();
        connection.apply(afterReload, "http", "a.example", TRUSTING_NONE);
        assertEquals("10.2.2.2", afterReload.get("X-Forwarded-For"));
        assertEquals("for=10.2.2.2;host=a.example;proto=http", afterReload.get("Forwarded"));
    }

    @Test
    void anIpv6ClientIsWrittenShortAndBracketedInForwarded() {
        ForwardingHeaders connection = new ForwardingHeaders(peer("2001:db8:0:0:0:0:0:1"));
        assertEquals("2001:db8::1", connection.client());
        HttpHeaders h = new DefaultHttpHeaders();
        connection.apply(h, "http", "a.example", TRUSTING_NONE);
        assertEquals("for=\"[2001:db8::1]\";host=a.example;proto=http", h.get("Forwarded"));
        assertEquals("2001:db8::1", h.get("X-Real-IP"));
    }

    private static String text(byte[] octets) {
        return new String(octets, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    @Test
    void theFieldsAsOctetsAreWhatApplySets() {
        HttpHeaders h = forged();
        byte[] fields = new ForwardingHeaders(peer("203.0.113.7")).fields(h, "http", "site.example", TRUSTING_10);
        assertEquals("x-forwarded-for: 203.0.113.7\r\nx-real-ip: 203.0.113.7\r\nx-forwarded-proto: http\r\n"
                + "x-forwarded-host: site.example\r\nforwarded: for=203.0.113.7;host=site.example;proto=http\r\n",
                text(fields));
        assertEquals(5, h.size(), "the request's headers are left as they came");
    }

    @Test
    void aTrustedProxysValuesAreExtendedInTheOctets() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("X-Forwarded-For", "198.51.100.9")
                .add("X-Forwarded-Proto", "https")
                .add("X-Forwarded-Proto", "http")
                .add("Forwarded", "for=198.51.100.9;proto=https");
        String fields = text(new ForwardingHeaders(peer("10.2.2.2")).fields(h, "http", null, TRUSTING_10));
        assertEquals("x-forwarded-for: 198.51.100.9, 10.2.2.2\r\nx-real-ip: 198.51.100.9\r\n"
                + "x-forwarded-proto: https\r\nx-forwarded-proto: http\r\n"
                + "forwarded: for=198.51.100.9;proto=https, for=10.2.2.2;proto=http\r\n", fields);
    }

    @Test
    void anUntrustedPeersOctetsAreMadeOncePerHostProtoAndConfig() {
        ForwardingHeaders connection = new ForwardingHeaders(peer("192.0.2.1"));
        byte[] first = connection.fields(forged(), "http", "a.example", TRUSTING_10);
        assertSame(first, connection.fields(new DefaultHttpHeaders(), "http", "a.example", TRUSTING_10));
        byte[] otherHost = connection.fields(new DefaultHttpHeaders(), "http", "b.example", TRUSTING_10);
        assertTrue(text(otherHost).contains("x-forwarded-host: b.example\r\n"));
        byte[] otherProto = connection.fields(new DefaultHttpHeaders(), "https", "b.example", TRUSTING_10);
        assertTrue(text(otherProto).contains("x-forwarded-proto: https\r\n"));
        byte[] noHost = connection.fields(new DefaultHttpHeaders(), "https", null, TRUSTING_NONE);
        assertEquals("x-forwarded-for: 192.0.2.1\r\nx-real-ip: 192.0.2.1\r\nx-forwarded-proto: https\r\n"
                + "forwarded: for=192.0.2.1;proto=https\r\n", text(noHost));
    }

    @Test
    void theFieldsReplaceEverySpellingOfTheirNamesAndNothingElse() {
        for (String name : List.of("X-Forwarded-For", "x-real-ip", "X-FORWARDED-PROTO", "X-Forwarded-Host", "Forwarded")) {
            assertTrue(ForwardingHeaders.replaces(name), name);
            assertTrue(ForwardingHeaders.replaces(io.netty.util.AsciiString.of(name)), name);
        }
        for (String name : List.of("X-Forwarded-Port", "X-Real-IPs", "Host", "X-Forwarded", "Forwarded-For", "")) {
            assertFalse(ForwardingHeaders.replaces(name), name);
        }
    }
}
