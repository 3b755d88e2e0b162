package dev.tandem.node.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Authorization and routing of the admin handler, without sockets. */
class AdminHandlerTest {

    private static AdminRoutes routes() {
        AdminRoutes routes = new AdminRoutes();
        routes.add(AdminRoute.sync("GET", "/status", AdminRoute.Access.READ, r -> AdminResponse.json(200, Map.of("ok", true))));
        routes.add(AdminRoute.sync("GET", "/dashboard", AdminRoute.Access.PUBLIC, r -> AdminResponse.text(200, "page")));
        routes.add(AdminRoute.sync("POST", "/api/upstreams/{upstream}/servers/{server}/drain", AdminRoute.Access.API,
                r -> AdminResponse.text(200, r.param("upstream") + " " + r.param("server"))));
        return routes;
    }

    private static FullHttpResponse call(boolean loopback, Optional<String> token, HttpMethod method, String uri,
                                         String authorization) {
        EmbeddedChannel ch = new EmbeddedChannel(new AdminHandler(routes(), () -> token, loopback, new CsrfGuard(System::nanoTime)));
        try {
            DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, Unpooled.EMPTY_BUFFER);
            if (authorization != null) {
                request.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
            }
            ch.writeInbound(request);
            FullHttpResponse response = ch.readOutbound();
            return response;
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static int status(boolean loopback, Optional<String> token, HttpMethod method, String uri, String auth) {
        FullHttpResponse r = call(loopback, token, method, uri, auth);
        try {
            return r.status().code();
        } finally {
            r.release();
        }
    }

    @Test
    void offLoopbackEverythingWithDataNeedsTheToken() {
        Optional<String> token = Optional.of("t0ken");
        assertEquals(401, status(false, token, HttpMethod.GET, "/status", null));
        assertEquals(401, status(false, token, HttpMethod.GET, "/status", "Bearer nope"));
        assertEquals(401, status(false, token, HttpMethod.GET, "/status", "Basic t0ken"));
        assertEquals(200, status(false, token, HttpMethod.GET, "/status", "Bearer t0ken"));
        assertEquals(200, status(false, token, HttpMethod.GET, "/status", "bearer t0ken"));
        // The page has no data in it; its requests carry the token.
        assertEquals(200, status(false, token, HttpMethod.GET, "/dashboard", null));
        assertEquals(401, status(false, token, HttpMethod.POST, "/api/upstreams/web/servers/a:1/drain", null));
    }

    @Test
    void onLoopbackOnlyTheApiNeedsTheToken() {
        Optional<String> token = Optional.of("t0ken");
        assertEquals(200, status(true, token, HttpMethod.GET, "/status", null));
        assertEquals(401, status(true, token, HttpMethod.POST, "/api/upstreams/web/servers/a:1/drain", null));
        assertEquals(200, status(true, token, HttpMethod.POST, "/api/upstreams/web/servers/a:1/drain", "Bearer t0ken"));
        assertEquals(200, status(true, Optional.empty(), HttpMethod.POST, "/api/upstreams/web/servers/a:1/drain", null));
    }

    @Test
    void pathParametersArePercentDecoded() {
        FullHttpResponse r = call(true, Optional.empty(), HttpMethod.POST, "/api/upstreams/web/servers/%5B%3A%3A1%5D%3A8080/drain/",
                null);
        try {
            assertEquals(200, r.status().code());
            assertEquals("web [::1]:8080", r.content().toString(StandardCharsets.UTF_8));
        } finally {
            r.release();
        }
    }

    @Test
    void headGetsHeadersWithoutBody() {
        FullHttpResponse r = call(true, Optional.empty(), HttpMethod.HEAD, "/dashboard", null);
        try {
            assertEquals(200, r.status().code());
            assertEquals("4", r.headers().get(HttpHeaderNames.CONTENT_LENGTH));
            assertFalse(r.content().isReadable());
        } finally {
            r.release();
        }
    }

    @Test
    void routeMatching() {
        AdminRoutes routes = routes();
        assertTrue(routes.match("GET", List.of("status")) instanceof AdminRoutes.Found);
        assertTrue(routes.match("POST", List.of("status")) instanceof AdminRoutes.WrongMethod);
        assertTrue(routes.match("GET", List.of("status", "x")) instanceof AdminRoutes.NotFound);
        assertTrue(routes.match("POST", List.of("api", "upstreams", "", "servers", "a", "drain")) instanceof AdminRoutes.NotFound);
        assertEquals(List.of("a", "b"), AdminHandler.segments("/a/b/"));
        assertEquals(List.of(), AdminHandler.segments("/"));
    }

    @Test
    void asyncRoutesAnswerWhenReady() {
        AdminRoutes routes = new AdminRoutes();
        CompletableFuture<AdminResponse> later = new CompletableFuture<>();
        routes.add(new AdminRoute("POST", "/api/slow", AdminRoute.Access.API, r -> later));
        EmbeddedChannel ch = new EmbeddedChannel(new AdminHandler(routes, Optional::empty, true, new CsrfGuard(System::nanoTime)));
        try {
            ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/slow", Unpooled.EMPTY_BUFFER));
            assertNull(ch.readOutbound());
            later.complete(AdminResponse.text(202, "done"));
            ch.runPendingTasks();
            FullHttpResponse r = ch.readOutbound();
            assertEquals(202, r.status().code());
            r.release();
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void jsonRoundTrip() throws Exception {
        Map<String, Object> tree = new java.util.LinkedHashMap<>();
        tree.put("s", "a \"quoted\" \u00e9 \n line");
        tree.put("n", 42L);
        tree.put("d", 1.5);
        tree.put("nan", Double.NaN);
        tree.put("list", List.of(true, false));
        tree.put("none", null);
        Object back = Json.parse(new String(Json.write(tree, false), StandardCharsets.UTF_8));
        Map<String, Object> expected = new java.util.LinkedHashMap<>(tree);
        expected.put("nan", null);
        assertEquals(expected, back);
    }
    @Test
    void aBrowserRequestFromAnotherSiteIsRefusedBeforeTheRouteRuns() {
        AdminRoutes routes = routes();
        CsrfGuard guard = new CsrfGuard(System::nanoTime);
        String csrf = guard.issue();
        EmbeddedChannel ch = new EmbeddedChannel(new AdminHandler(routes, Optional::empty, true, guard));
        try {
            int[] codes = new int[3];
            String[][] headers = {
                    {"https://evil.example", "cross-site", csrf},
                    {"http://127.0.0.1:9090", "same-origin", null},
                    {"http://127.0.0.1:9090", "same-origin", csrf}};
            for (int i = 0; i < headers.length; i++) {
                DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                        "/api/upstreams/web/servers/a:1/drain", Unpooled.EMPTY_BUFFER);
                request.headers().set(HttpHeaderNames.HOST, "127.0.0.1:9090");
                request.headers().set(HttpHeaderNames.ORIGIN, headers[i][0]);
                request.headers().set("Sec-Fetch-Site", headers[i][1]);
                if (headers[i][2] != null) {
                    request.headers().set(CsrfGuard.HEADER, headers[i][2]);
                }
                ch.writeInbound(request);
                FullHttpResponse r = ch.readOutbound();
                codes[i] = r.status().code();
                r.release();
            }
            assertEquals(403, codes[0], "another site's page");
            assertEquals(403, codes[1], "no CSRF token");
            assertEquals(200, codes[2], "the dashboard itself");
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
