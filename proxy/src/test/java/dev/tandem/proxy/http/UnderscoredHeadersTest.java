package dev.tandem.proxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UnderscoredHeadersTest {

    private static HttpHeaders headers(String... names) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (String n : names) {
            h.add(n, "v");
        }
        return h;
    }

    private static List<String> names(HttpHeaders h) {
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, String> e : h) {
            names.add(e.getKey());
        }
        return names;
    }

    @Test
    void underscoredNamesAreDroppedByDefault() {
        HttpHeaders h = headers("Accept", "X_Forwarded_For", "X_Real_IP", "x_forwarded_proto", "X-Forwarded_Host", "My_Header");
        UnderscoredHeaders.strip(h, false);
        assertEquals(List.of("Accept"), names(h));
    }

    @Test
    void allowedTheyPassExceptLookalikesOfForwardingAndFramingHeaders() {
        HttpHeaders h = headers("Accept", "X_Forwarded_For", "X_REAL_IP", "X_Forwarded_Port", "Content_Length",
                "Transfer_Encoding", "My_Header", "x_request_id");
        UnderscoredHeaders.strip(h, true);
        assertEquals(List.of("Accept", "My_Header", "x_request_id"), names(h));
    }

    @Test
    void trailersNamingForwardingFramingOrRoutingHeadersAreDropped() {
        HttpHeaders t = headers("X-Checksum", "X-Forwarded-For", "x-real-ip", "Forwarded", "Host", "Content-Length",
                "Transfer-Encoding", "Content-Type", "Connection", "Authorization", "If-Match", "X_Forwarded_For",
                "X_Trace");
        TrailerFields.strip(t, false);
        assertEquals(List.of("X-Checksum"), names(t));
        HttpHeaders allowed = headers("X-Checksum", "X_Forwarded_Host", "X_Trace");
        TrailerFields.strip(allowed, true);
        assertEquals(List.of("X-Checksum", "X_Trace"), names(allowed));
    }
}
