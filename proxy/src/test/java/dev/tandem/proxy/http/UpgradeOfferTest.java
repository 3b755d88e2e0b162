package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.proxy.http.UpgradeOffer.Refusal;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

class UpgradeOfferTest {

    private static HttpHeaders headers(String connection, String... upgrade) {
        HttpHeaders h = new DefaultHttpHeaders();
        if (connection != null) {
            h.set("Connection", connection);
        }
        for (String u : upgrade) {
            h.add("Upgrade", u);
        }
        return h;
    }

    private static UpgradeOffer offer(HttpHeaders h) {
        return UpgradeOffer.of(HttpVersion.HTTP_1_1, h, false, List.of());
    }

    @Test
    void webSocketGoesUpstreamAsTheClientWroteIt() {
        UpgradeOffer o = offer(headers("keep-alive, Upgrade", "WebSocket"));
        assertEquals("WebSocket", o.upstream());
        assertNull(o.refusal());
    }

    @Test
    void h2cIsRemovedAndCountedAsAProtocolRefusal() {
        UpgradeOffer o = offer(headers("Upgrade, HTTP2-Settings", "h2c"));
        assertNull(o.upstream());
        assertSame(Refusal.PROTOCOL, o.refusal());
    }

    @Test
    void fromAListOnlyTheAllowedProtocolsGoUpstream() {
        UpgradeOffer o = offer(headers("upgrade", "h2c, websocket"));
        assertEquals("websocket", o.upstream());
        assertSame(Refusal.PROTOCOL, o.refusal());
        UpgradeOffer two = UpgradeOffer.of(HttpVersion.HTTP_1_1, headers("upgrade", "foo/2", "h2c, websocket"), false,
                List.of("foo"));
        assertEquals("foo/2, websocket", two.upstream());
    }

    @Test
    void aRequestWithABodyIsNeverUpgraded() {
        UpgradeOffer o = UpgradeOffer.of(HttpVersion.HTTP_1_1, headers("upgrade", "websocket"), true, List.of());
        assertNull(o.upstream());
        assertSame(Refusal.BODY, o.refusal());
    }

    @Test
    void withoutConnectionUpgradeOrOnHttp10ThereIsNoOffer() {
        assertSame(UpgradeOffer.NONE, offer(headers("keep-alive", "websocket")));
        assertSame(UpgradeOffer.NONE, offer(headers(null, "websocket")));
        assertSame(UpgradeOffer.NONE, offer(headers("upgrade", ",,")));
        assertSame(UpgradeOffer.NONE, UpgradeOffer.of(HttpVersion.HTTP_1_0, headers("upgrade", "websocket"), false, List.of()));
    }

    @Test
    void a101MustNameOnlyWhatWasOffered() {
        UpgradeOffer o = offer(headers("upgrade", "websocket"));
        assertTrue(o.acceptedBy(List.of("websocket")));
        assertTrue(o.acceptedBy(List.of("WebSocket")));
        assertFalse(o.acceptedBy(List.of()), "a 101 without Upgrade");
        assertFalse(o.acceptedBy(List.of("h2c")));
        assertFalse(o.acceptedBy(List.of("websocket, h2c")));
        assertFalse(UpgradeOffer.NONE.acceptedBy(List.of("websocket")));
    }
}
