/*
 * kvm-chaos lab probe: runs as the guest's only service and measures, every round, whether
 * this guest reaches each peer over ICMP, UDP and TCP, and whether spoofed frames from peers
 * arrive here. One machine-readable line per round on the serial console:
 *
 *   @kc v1 node=1 round=42 icmp=-11 tcp=-11 udp=-11 macspoof=-00 ipspoof=-00
 *
 * Position i (1-based) of each mask is peer node i; '-' is this node itself.
 *   icmp, tcp   this node's echo / connect to node i got an answer (a round trip).
 *   udp         a datagram FROM node i arrived here during the round (one way, so a one-way
 *               cut shows as one way).
 *   macspoof    a UDP frame from node i with a forged source MAC arrived here.
 *   ipspoof     a UDP frame from node i with a forged source IP arrived here.
 * Guest clocks under TCG run slow, so the host never trusts guest time: it reads rounds.
 *
 * Node n is guest ((n-1)%8)+1 of host ((n-1)/8)+1: address 192.168.77.(10+n), MAC
 * 52:54:00:00:HH:LL with HH the host's number minus one and LL = 0x11 * its guest number (the
 * lab's fixed plan, lab/config.ts).
 * Usage: probe NODE FIRST LAST
 *   FIRST..LAST are the nodes of this guest's own host, probed from the first round. Nodes of
 *   other hosts may come up later without this guest restarting: each round also probes one
 *   node not yet heard from (in turn), and a node heard from once (any ICMP, UDP or TCP from
 *   it) is probed every round from then on. Masks run up to the highest node known.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GUESTS_PER_HOST 8
#define MAX_NODES 24
#define UDP_PORT 7001
#define TCP_PORT 7002
#define SPOOF_PORT 7003
#define ROUND_MS 300

static int me;
/* known[i]: node i is probed every round. */
static int known[MAX_NODES + 1];

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void peer_addr(int i, struct sockaddr_in *sa, int port) {
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(port);
  sa->sin_addr.s_addr = htonl((192u << 24) | (168u << 16) | (77u << 8) | (unsigned)(10 + i));
}

static int peer_of(uint32_t addr_be) {
  uint32_t a = ntohl(addr_be);
  if ((a >> 8) != ((192u << 16) | (168u << 8) | 77u)) return 0;
  int i = (int)(a & 0xff) - 10;
  return (i >= 1 && i <= MAX_NODES) ? i : 0;
}

static uint16_t csum(const void *data, size_t len) {
  const uint8_t *p = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

static int listen_udp(int port) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("udp bind"); exit(1); }
  return s;
}

static void node_mac(int n, uint8_t mac[6]) {
  uint8_t m[6] = {0x52, 0x54, 0, 0, (uint8_t)((n - 1) / GUESTS_PER_HOST),
                  (uint8_t)(((n - 1) % GUESTS_PER_HOST + 1) * 0x11)};
  memcpy(mac, m, 6);
}

/* A raw Ethernet frame carrying UDP to SPOOF_PORT of node `to`, with the source MAC or the
 * source IP forged. The payload names the real sender so the receiver can attribute it. */
static void send_spoofed(int psock, int ifindex, int to, int forge_mac) {
  uint8_t f[64] = {0};
  struct ether_header *eh = (void *)f;
  struct iphdr *ip = (void *)(f + sizeof *eh);
  struct udphdr *udp = (void *)((uint8_t *)ip + sizeof *ip);
  char *payload = (char *)udp + sizeof *udp;
  uint8_t dst[6], src[6];
  node_mac(to, dst);
  node_mac(me, src);
  if (forge_mac) src[3] = 0x66; /* 52:54:00:66:00:ii is nobody's MAC */
  memcpy(eh->ether_dhost, dst, 6);
  memcpy(eh->ether_shost, src, 6);
  eh->ether_type = htons(ETHERTYPE_IP);
  int plen = snprintf(payload, 8, "%c%d", forge_mac ? 'M' : 'I', me);
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->tot_len = htons((uint16_t)(sizeof *ip + sizeof *udp + plen));
  struct sockaddr_in s, d;
  peer_addr(me, &s, 0);
  peer_addr(to, &d, 0);
  ip->saddr = forge_mac ? s.sin_addr.s_addr : htonl(ntohl(s.sin_addr.s_addr) + 100);
  ip->daddr = d.sin_addr.s_addr;
  ip->check = csum(ip, sizeof *ip);
  udp->source = htons(SPOOF_PORT);
  udp->dest = htons(SPOOF_PORT);
  udp->len = htons((uint16_t)(sizeof *udp + plen));
  struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
  memcpy(ll.sll_addr, dst, 6);
  sendto(psock, f, sizeof *eh + sizeof *ip + sizeof *udp + plen, 0, (struct sockaddr *)&ll,
         sizeof ll);
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: probe NODE FIRST LAST\n"); return 2; }
  me = atoi(argv[1]);
  int first = atoi(argv[2]), last = atoi(argv[3]);
  if (first < 1 || last > MAX_NODES || first > last || me < first || me > last) {
    fprintf(stderr, "bad args\n");
    return 2;
  }
  for (int i = first; i <= last; i++) known[i] = 1;
  int seek = 0; /* the last unknown node probed */
  setvbuf(stdout, NULL, _IOLBF, 0);

  int icmp = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
  int udp_rx = listen_udp(UDP_PORT);
  int spoof_rx = listen_udp(SPOOF_PORT);
  int udp_tx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int tcp_l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(tcp_l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons(TCP_PORT)};
  if (icmp < 0 || tcp_l < 0 || bind(tcp_l, (struct sockaddr *)&la, sizeof la) < 0 ||
      listen(tcp_l, 64) < 0) { perror("sockets"); return 1; }
  int psock = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
  int ifindex = (int)if_nametoindex("eth0");

  for (unsigned round = 1;; round++) {
    int icmp_ok[MAX_NODES + 1] = {0}, tcp_ok[MAX_NODES + 1] = {0}, udp_ok[MAX_NODES + 1] = {0};
    int mac_ok[MAX_NODES + 1] = {0}, ip_ok[MAX_NODES + 1] = {0};
    int tcp_fd[MAX_NODES + 1];
    uint64_t start = now_ms();

    int probe[MAX_NODES + 1] = {0};
    for (int i = 1; i <= MAX_NODES; i++) probe[i] = known[i];
    for (int k = 0; k < MAX_NODES; k++) {
      seek = seek % MAX_NODES + 1;
      if (!known[seek] && seek != me) {
        probe[seek] = 1;
        break;
      }
    }
    for (int i = 1; i <= MAX_NODES; i++) {
      tcp_fd[i] = -1;
      if (i == me || !probe[i]) continue;
      struct sockaddr_in sa;
      peer_addr(i, &sa, 0);
      struct icmphdr h = {.type = ICMP_ECHO};
      h.un.echo.id = htons((uint16_t)(0x4b00 + me));
      h.un.echo.sequence = htons((uint16_t)(round * 32 + (unsigned)i));
      h.checksum = csum(&h, sizeof h);
      sendto(icmp, &h, sizeof h, 0, (struct sockaddr *)&sa, sizeof sa);

      char msg[8];
      int n = snprintf(msg, sizeof msg, "U%d", me);
      peer_addr(i, &sa, UDP_PORT);
      sendto(udp_tx, msg, (size_t)n, 0, (struct sockaddr *)&sa, sizeof sa);

      if (psock >= 0 && ifindex > 0) {
        send_spoofed(psock, ifindex, i, 1);
        send_spoofed(psock, ifindex, i, 0);
      }

      tcp_fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      peer_addr(i, &sa, TCP_PORT);
      if (connect(tcp_fd[i], (struct sockaddr *)&sa, sizeof sa) == 0) tcp_ok[i] = 1;
    }

    /* Collect answers until the round's time is up. */
    for (;;) {
      int left = (int)(start + ROUND_MS - now_ms());
      if (left <= 0) break;
      struct pollfd p[4 + MAX_NODES + 1];
      int np = 0;
      p[np++] = (struct pollfd){.fd = icmp, .events = POLLIN};
      p[np++] = (struct pollfd){.fd = udp_rx, .events = POLLIN};
      p[np++] = (struct pollfd){.fd = spoof_rx, .events = POLLIN};
      p[np++] = (struct pollfd){.fd = tcp_l, .events = POLLIN};
      for (int i = 1; i <= MAX_NODES; i++)
        if (tcp_fd[i] >= 0 && !tcp_ok[i]) p[np++] = (struct pollfd){.fd = tcp_fd[i], .events = POLLOUT};
      if (poll(p, (nfds_t)np, left) <= 0) continue;

      uint8_t buf[1500];
      struct sockaddr_in from;
      socklen_t fl;
      for (;;) {
        ssize_t r = recv(icmp, buf, sizeof buf, 0);
        if (r < 0) break;
        struct iphdr *ip = (void *)buf;
        if (r < (ssize_t)(ip->ihl * 4 + sizeof(struct icmphdr))) continue;
        struct icmphdr *h = (void *)(buf + ip->ihl * 4);
        int peer = peer_of(ip->saddr);
        if (peer) known[peer] = 1; /* a peer's echo requests count too */
        if (h->type == ICMP_ECHOREPLY && peer && ntohs(h->un.echo.id) == 0x4b00 + me &&
            ntohs(h->un.echo.sequence) == (uint16_t)(round * 32 + (unsigned)peer))
          icmp_ok[peer] = 1;
      }
      for (;;) {
        fl = sizeof from;
        ssize_t r = recvfrom(udp_rx, buf, sizeof buf - 1, 0, (struct sockaddr *)&from, &fl);
        if (r < 0) break;
        int peer = peer_of(from.sin_addr.s_addr);
        if (peer && r >= 2 && buf[0] == 'U' && atoi((char *)buf + 1) == peer) {
          udp_ok[peer] = 1;
          known[peer] = 1;
        }
      }
      for (;;) {
        ssize_t r = recv(spoof_rx, buf, sizeof buf - 1, 0);
        if (r < 0) break;
        buf[r] = 0;
        int peer = atoi((char *)buf + 1);
        if (peer >= 1 && peer <= MAX_NODES) {
          if (buf[0] == 'M') mac_ok[peer] = 1;
          if (buf[0] == 'I') ip_ok[peer] = 1;
        }
      }
      for (;;) {
        fl = sizeof from;
        int c = accept(tcp_l, (struct sockaddr *)&from, &fl);
        if (c < 0) break;
        int peer = peer_of(from.sin_addr.s_addr);
        if (peer) known[peer] = 1;
        close(c);
      }
      for (int k = 4; k < np; k++) {
        if (!(p[k].revents & (POLLOUT | POLLERR | POLLHUP))) continue;
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(p[k].fd, SOL_SOCKET, SO_ERROR, &err, &el);
        for (int i = 1; i <= MAX_NODES; i++)
          if (tcp_fd[i] == p[k].fd) {
            if (err == 0) tcp_ok[i] = 1;
            close(tcp_fd[i]);
            tcp_fd[i] = -1;
          }
      }
    }
    for (int i = 1; i <= MAX_NODES; i++)
      if (tcp_fd[i] >= 0) close(tcp_fd[i]);
    int shown = last;
    for (int i = 1; i <= MAX_NODES; i++)
      if (known[i] && i > shown) shown = i;

    char line[256];
    int n = snprintf(line, sizeof line, "@kc v1 node=%d round=%u", me, round);
    const char *names[] = {"icmp", "tcp", "udp", "macspoof", "ipspoof"};
    int *masks[] = {icmp_ok, tcp_ok, udp_ok, mac_ok, ip_ok};
    for (int m = 0; m < 5; m++) {
      n += snprintf(line + n, sizeof line - (size_t)n, " %s=", names[m]);
      for (int i = 1; i <= shown; i++) line[n++] = i == me ? '-' : (masks[m][i] ? '1' : '0');
      line[n] = 0;
    }
    printf("%s\n", line);
  }
}
