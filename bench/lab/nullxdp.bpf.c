/*
 * nullxdp.bpf.c: the XDP program of bench/lab/nullxdp.c.  Not part of the
 * build: bench/lab/run compiles it with
 *
 *   clang -O2 -g -target bpf -I/usr/include/$(gcc -print-multiarch) \
 *       -c nullxdp.bpf.c -o nullxdp.bpf.o
 *
 * It redirects to the AF_XDP socket of the receive queue only the frames a
 * Teredo server would answer: Ethernet, IPv4 without options or
 * fragmentation, UDP to the configured address and port (nullxdp_cfg, set
 * by nullxdp before loading).  Everything else (ARP above all) goes to the
 * kernel with XDP_PASS, as does a frame for a queue with no socket (the
 * flags argument of bpf_redirect_map).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct nullxdp_cfg {
	__u32 addr; /* IPv4, network order */
	__u32 port; /* UDP, network order, in the low 16 bits */
};

/* In .rodata: the verifier sees constants. */
volatile const struct nullxdp_cfg nullxdp_cfg = {0, 0};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} nullxdp_xsks SEC(".maps");

SEC("xdp")
int
nullxdp_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->version != 4 ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    (ip->frag_off & bpf_htons(0x3fff)) != 0 ||
	    ip->daddr != nullxdp_cfg.addr ||
	    udp->dest != (__u16)nullxdp_cfg.port)
		return XDP_PASS;
	return bpf_redirect_map(&nullxdp_xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
