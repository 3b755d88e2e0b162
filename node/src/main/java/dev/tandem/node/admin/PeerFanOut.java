package dev.tandem.node.admin;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Asks every peer's admin listener for one JSON document at once, each within a short timeout, and answers when
 * the last has answered or timed out: a peer that is down, stopped or partitioned away costs the page at most the
 * timeout and shows as not answering, with the reason. Nothing here blocks a thread: the JDK client's own threads
 * carry the requests.
 */
public final class PeerFanOut {

    /**
     * A node to ask.
     *
     * @param name        its name in {@code cluster.nodes}
     * @param address     {@code host:port} of its admin listener; null when it cannot be reached from here
     * @param unreachable why it cannot be asked, when {@code address} is null
     */
    public record Peer(String name, String address, String unreachable) {
    }

    /**
     * What one peer answered.
     *
     * @param body   the parsed JSON when {@code ok}
     * @param error  why there is no answer, when not {@code ok}
     * @param millis how long it took
     */
    public record Answer(Peer peer, boolean ok, Object body, String error, long millis) {

        public Map<String, Object> toTree() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", peer.name());
            m.put("address", peer.address());
            m.put("reachable", ok);
            m.put("error", error);
            m.put("millis", millis);
            return m;
        }
    }

    private final HttpClient client;
    private final Duration timeout;

    public PeerFanOut(Duration timeout) {
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    }

    public Duration timeout() {
        return timeout;
    }

    /** {@code GET path} on every peer, with {@code token} as the bearer token when there is one; answers in order. */
    public CompletableFuture<List<Answer>> ask(List<Peer> peers, String path, Optional<String> token) {
        List<CompletableFuture<Answer>> asks = new ArrayList<>();
        for (Peer p : peers) {
            asks.add(ask(p, path, token));
        }
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenApply(x -> {
            List<Answer> out = new ArrayList<>();
            asks.forEach(a -> out.add(a.join()));
            return out;
        });
    }

    private CompletableFuture<Answer> ask(Peer peer, String path, Optional<String> token) {
        if (peer.address() == null) {
            return CompletableFuture.completedFuture(new Answer(peer, false, null, peer.unreachable(), 0));
        }
        long start = System.nanoTime();
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(URI.create("http://" + peer.address() + path)).timeout(timeout).GET();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new Answer(peer, false, null, "bad address: " + e.getMessage(), 0));
        }
        token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
        // The request timeout covers the head only: a peer that sends its head and then stalls is cut here too.
        Answer stalled = new Answer(peer, false, null, "no answer within " + timeout.toMillis() + "ms", timeout.toMillis());
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .handle((r, error) -> answer(peer, r, error, (System.nanoTime() - start) / 1_000_000))
                .completeOnTimeout(stalled, timeout.toMillis() + 250, TimeUnit.MILLISECONDS);
    }

    private Answer answer(Peer peer, HttpResponse<String> r, Throwable error, long millis) {
        if (error != null) {
            Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            String why;
            if (t instanceof HttpConnectTimeoutException) {
                why = "no connection within " + timeout.toMillis() + "ms";
            } else if (t instanceof HttpTimeoutException) {
                why = "no answer within " + timeout.toMillis() + "ms";
            } else if (t instanceof ConnectException) {
                why = "connection refused: is Tandem running there?";
            } else {
                why = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
            }
            return new Answer(peer, false, null, why, millis);
        }
        if (r.statusCode() == 401) {
            return new Answer(peer, false, null, "refused this node's admin token (HTTP 401): is admin.token the same?", millis);
        }
        if (r.statusCode() != 200) {
            return new Answer(peer, false, null, "HTTP " + r.statusCode(), millis);
        }
        try {
            return new Answer(peer, true, Json.parse(r.body()), null, millis);
        } catch (IOException e) {
            return new Answer(peer, false, null, "not JSON: " + e.getMessage(), millis);
        }
    }
}
