package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tandem.conf.HostPort;
import dev.tandem.proxy.transport.Transport;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The admin listener over real sockets. */
class AdminServerTest {

    /**
     * The JDK client writes a request's head and body separately, so the body often arrives in a read cycle
     * of its own: each of these requests must still be answered (a read demand lost at the end of the
     * head's cycle once left every other one hanging).
     */
    @Test
    void keepAliveRequestsWhoseBodyArrivesApartAreAllAnswered() throws Exception {
        AdminRoutes routes = new AdminRoutes();
        routes.add(AdminRoute.sync("POST", "/echo", AdminRoute.Access.API, r -> AdminResponse.text(200, "got " + r.body())));
        routes.add(AdminRoute.sync("GET", "/big", AdminRoute.Access.READ, r -> AdminResponse.text(200, "x".repeat(20_000))));
        try (AdminServer server = AdminServer.start(new HostPort("127.0.0.1", 0), Transport.detect(), routes, Optional::empty)) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + server.address().getPort();
            for (int i = 0; i < 200; i++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/echo"))
                        .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString("b" + i)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals("got b" + i, r.body(), "round " + i);
                if (i % 3 == 0) {
                    assertEquals(20_000, client.send(HttpRequest.newBuilder(URI.create(base + "/big"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body().length());
                }
            }
        }
    }

    /**
     * A keep-alive connection idle at close is closed by the server itself, not left to the event loop's
     * shutdown, which skips it when the stop request lands while the loop runs tasks (then the socket stayed
     * open and io_uring dropped a receive's buffer). That race is narrow, hence several rounds.
     */
    @Test
    void closeClosesIdleKeepAliveConnections() throws Exception {
        AdminRoutes routes = new AdminRoutes();
        routes.add(AdminRoute.sync("GET", "/ping", AdminRoute.Access.READ, r -> AdminResponse.text(200, "pong")));
        for (int round = 0; round < 10; round++) {
            AdminServer server = AdminServer.start(new HostPort("127.0.0.1", 0), Transport.detect(), routes,
                    Optional::empty);
            try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                StringBuilder response = new StringBuilder();
                while (!response.toString().endsWith("pong")) {
                    int c = in.read();
                    assertTrue(c >= 0, "response cut: " + response);
                    response.append((char) c);
                }
                server.close();
                assertEquals(-1, in.read(), "round " + round + ": the idle connection is closed by the server's close");
            }
        }
    }
}
