package dev.tandem.node.wiring;

import dev.tandem.cluster.vip.VipConnections;
import dev.tandem.proxy.ProxyServer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The proxy's client connections as the cluster sees them: by the VIP (local address) each was accepted on. */
final class ProxyVipConnections implements VipConnections {

    private final ProxyServer proxy;
    /** VIPs are address literals from a validated config: parsed once, never looked up. */
    private final Map<String, InetAddress> addresses = new ConcurrentHashMap<>();

    ProxyVipConnections(ProxyServer proxy) {
        this.proxy = proxy;
    }

    @Override
    public int open(String vip) {
        return proxy.connections(address(vip));
    }

    @Override
    public void closeWhenIdle(String vip) {
        proxy.closeWhenIdle(address(vip));
    }

    private InetAddress address(String vip) {
        return addresses.computeIfAbsent(vip, v -> {
            try {
                return InetAddress.getByName(v);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("VIP " + v + " is not an address", e);
            }
        });
    }
}
