package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

class HopByHopHeadersTest {

    @Test
    void removesTheFixedSetAndWhatConnectionNames() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "keep-alive, X-Hop-One")
                .add("Connection", "x-hop-two")
                .add("X-Hop-One", "1")
                .add("X-Hop-Two", "2")
                .add("Keep-Alive", "timeout=5")
                .add("Proxy-Connection", "keep-alive")
                .add("TE", "trailers")
                .add("Trailer", "X-Checksum")
                .add("Transfer-Encoding", "chunked")
                .add("Upgrade", "websocket")
                .add("X-End-To-End", "kept")
                .add("Cache-Control", "no-cache");
        HopByHopHeaders.strip(h);
        assertEquals(2, h.size(), h.toString());
        assertEquals("kept", h.get("X-End-To-End"));
        assertEquals("no-cache", h.get("Cache-Control"));
    }

    @Test
    void connectionCannotRemoveWhatFramesOrRoutesTheMessage() {
        HttpHeaders h = new DefaultHttpHeaders()
                .add("Connection", "Content-Length, Host, close")
                .add("Content-Length", "5")
                .add("Host", "a.example");
        HopByHopHeaders.strip(h);
        assertEquals("5", h.get("Content-Length"));
        assertEquals("a.example", h.get("Host"));
        assertFalse(h.contains("Connection"));
    }

    @Test
    void emptyTokensAreHarmless() {
        HttpHeaders h = new DefaultHttpHeaders().add("Connection", ",, ,close,").add("X-A", "1");
        HopByHopHeaders.strip(h);
        assertTrue(h.contains("X-A"));
    }

    @Test
    void tellsWhatConnectionAskedAsHttpUtilWould() {
        String[][] cases = {
            {}, {"close"}, {"Keep-Alive"}, {"x-a, CLOSE"}, {"keep-alive, close"}, {"keep-alive", "close"},
            {"x-a", "x-b ,  keep-alive"}, {"closed"}, {"upgrade"},
        };
        for (String[] values : cases) {
            for (HttpVersion version : new HttpVersion[] {HttpVersion.HTTP_1_0, HttpVersion.HTTP_1_1}) {
                HttpResponse r = new DefaultHttpResponse(version, HttpResponseStatus.OK);
                for (String v : values) {
                    r.headers().add("Connection", v);
                }
                boolean expected = HttpUtil.isKeepAlive(r);
                HopByHopHeaders.ConnectionOption option = HopByHopHeaders.strip(r.headers());
                assertEquals(expected, HopByHopHeaders.keepAlive(version, option), version + " " + List.of(values));
                assertFalse(r.headers().contains("Connection"));
            }
        }
        assertEquals(HopByHopHeaders.ConnectionOption.CLOSE,
                HopByHopHeaders.strip(new DefaultHttpHeaders().add("Connection", "keep-alive, close")));
        assertEquals(HopByHopHeaders.ConnectionOption.NONE, HopByHopHeaders.strip(new DefaultHttpHeaders()));
    }
}
