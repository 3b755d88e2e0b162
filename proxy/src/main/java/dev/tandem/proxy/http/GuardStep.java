package dev.tandem.proxy.http;

import dev.tandem.conf.ForwardingConfig;
import dev.tandem.proxy.guard.GuardedExchange;
import dev.tandem.proxy.guard.Page;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetAddress;
import java.util.function.BooleanSupplier;

/**
 * The site-guard step of the request path (see {@link dev.tandem.proxy.guard.SiteGuard}): one request as the
 * guard sees it, between routing to a site and serving it. The connection's handler gives it the two ways on.
 */
final class GuardStep implements GuardedExchange {

    /** Answers a request on the connection's behalf. */
    @FunctionalInterface
    interface Answer {
        void answer(HttpResponseStatus status, Page page, HttpHeaders extra);
    }

    private final HttpRequest request;
    private final ForwardingHeaders forwarding;
    private final ForwardingConfig rules;
    private final EventExecutor executor;
    private final BooleanSupplier active;
    private final Runnable pass;
    private final Answer answer;
    private InetAddress client;

    GuardStep(HttpRequest request, ForwardingHeaders forwarding, ForwardingConfig rules, EventExecutor executor,
              BooleanSupplier active, Runnable pass, Answer answer) {
        this.request = request;
        this.forwarding = forwarding;
        this.rules = rules;
        this.executor = executor;
        this.active = active;
        this.pass = pass;
        this.answer = answer;
    }

    @Override
    public InetAddress client() {
        if (client == null) {
            client = forwarding.trustedClient(request.headers(), rules);
        }
        return client;
    }

    @Override
    public String authorization() {
        return request.headers().get(HttpHeaderNames.AUTHORIZATION);
    }

    @Override
    public EventExecutor executor() {
        return executor;
    }

    @Override
    public boolean active() {
        return active.getAsBoolean();
    }

    @Override
    public void pass() {
        pass.run();
    }

    @Override
    public void answer(HttpResponseStatus status, Page page, HttpHeaders extra) {
        answer.answer(status, page, extra);
    }
}
