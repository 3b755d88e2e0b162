package dev.tandem.proxy.statics;

import dev.tandem.conf.StaticConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import com.google.re2j.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The static-file path of one site, as one config snapshot defines it: which requests try the disk, and
 * how each is answered: from the file, by the fallback (the site's upstream), or with 400/404.
 *
 * <p>A request whose lookup is cached is answered on its event loop at once. Otherwise the lookup runs on
 * the lookup executor and the answer is written from the connection's event loop when it is done; the
 * connection reads nothing more meanwhile (it only reads when a response is complete). A client that leaves
 * while its lookup is pending costs nothing: the lookup result belongs to the cache, and a response takes
 * its own reference on a file only when it is written, on the loop, for a connection still there.
 */
public final class StaticSite {

    private static final Logger log = LoggerFactory.getLogger(StaticSite.class);
    /** A file that closes between lookup and response twice running is not worth a third try. */
    private static final int ATTEMPTS = 3;

    private final StaticConfig config;
    private final Pattern match;
    private final OpenFileCache cache;
    private final StaticMetrics metrics;
    private final FileResponses responses;

    StaticSite(StaticConfig config, OpenFileCache cache, StaticMetrics metrics, FileResponses responses) {
        this.config = config;
        this.match = config.match().orElse(null);
        this.cache = cache;
        this.metrics = metrics;
        this.responses = responses;
    }

    /**
     * Whether a request tries the disk: GET and HEAD only, and only when {@code match} is found in its path
     * as sent (percent-encoded, without the query), or there is no {@code match}.
     *
     * @param target the origin-form request target
     */
    public boolean wants(HttpMethod method, String target) {
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            return false;
        }
        return match == null || match.matcher(RequestPath.pathOf(target)).find();
    }

    /** Answers a request {@link #wants} accepted. */
    public void serve(StaticExchange ex, HttpRequest request, String target) {
        RequestPath path = RequestPath.parse(target, config.hidden());
        switch (path.kind()) {
            case BAD -> ex.error(HttpResponseStatus.BAD_REQUEST, "static path refused: " + path.reason());
            case NOT_A_FILE -> {
                log.debug("{} not looked up on disk: {}", target, path.reason());
                miss(ex);
            }
            default -> look(ex, request, target, path.key(), 1);
        }
    }

    private void look(StaticExchange ex, HttpRequest request, String target, String key, int attempt) {
        CompletableFuture<Lookup> f = cache.get(key);
        boolean owned = f == null;
        if (owned) {
            f = cache.once(key);
        }
        if (f.isDone()) {
            answer(ex, request, target, key, f, owned, attempt);
            return;
        }
        CompletableFuture<Lookup> pending = f;
        EventExecutor loop = ex.ctx().executor();
        pending.whenComplete((lookup, failure) -> {
            try {
                loop.execute(() -> answer(ex, request, target, key, pending, owned, attempt));
            } catch (RejectedExecutionException e) {
                // The event loop is shutting down and the connection with it.
                if (owned && lookup != null) {
                    lookup.release();
                }
            }
        });
    }

    private void answer(StaticExchange ex, HttpRequest request, String target, String key, CompletableFuture<Lookup> f,
                        boolean owned, int attempt) {
        Lookup lookup;
        try {
            lookup = f.join();
        } catch (CompletionException | CancellationException e) {
            if (ex.active()) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (cause instanceof RejectedExecutionException) {
                    log.warn("static lookups are backed up; {} answered 503", target);
                    ex.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "static lookups backed up");
                } else {
                    log.warn("static lookup of {} failed", target, cause);
                    ex.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "static lookup failed: " + cause);
                }
            }
            return;
        }
        try {
            if (!ex.active()) {
                return;
            }
            if (lookup instanceof Lookup.Found found) {
                if (!responses.serve(ex, request, found)) {
                    cache.evict(key, f);
                    if (attempt < ATTEMPTS) {
                        look(ex, request, target, key, attempt + 1);
                    } else {
                        ex.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "static file closed under every attempt");
                    }
                }
            } else if (lookup == Lookup.Redirect.TO_DIRECTORY) {
                responses.redirect(ex, target);
            } else {
                miss(ex);
            }
        } finally {
            if (owned) {
                lookup.release();
            }
        }
    }

    private void miss(StaticExchange ex) {
        metrics.miss();
        if (config.fallback()) {
            metrics.fallback();
            ex.fallback();
        } else {
            ex.error(HttpResponseStatus.NOT_FOUND, "no static file");
        }
    }
}
