package dev.tandem.proxy;

import dev.tandem.conf.ListenerConfig;
import dev.tandem.proxy.http.ListenerContext;
import io.netty.channel.Channel;

/** A listener bound now: its config, the context its connections share, and its server socket. */
record BoundListener(ListenerConfig config, ListenerContext context, Channel channel) {
}
