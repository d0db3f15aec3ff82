package main

import (
	"net"
	"sync"
	"time"
)

// hostMgmt is each ESXi host's management endpoint (its hostd on 443, on
// loopback): a TCP listener that accepts and closes while the host is
// alive. When the host crashes, hangs or is powered off the listener is
// closed (connection refused), so a probe of it fails at once, long before
// vCenter marks the host not responding (notice=SECONDS of crash and fail).
type hostMgmt struct {
	mu     sync.Mutex
	addrs  map[string]string       // host name -> 127.0.0.1:port, kept across restarts
	lns    map[string]net.Listener // open listeners (host alive)
	notice map[string]*time.Timer  // pending "vCenter notices" of a crashed or hung host
	dead   map[string]bool         // crashed and not powered on since
}

func newHostMgmt(names []string) (*hostMgmt, error) {
	m := &hostMgmt{addrs: map[string]string{}, lns: map[string]net.Listener{}, notice: map[string]*time.Timer{}, dead: map[string]bool{}}
	for _, n := range names {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		m.addrs[n] = ln.Addr().String()
		m.lns[n] = ln
		go accept(ln)
	}
	return m, nil
}

func accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_ = c.Close()
	}
}

func (m *hostMgmt) addr(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addrs[name]
}

// up opens the host's endpoint again (recover: the host answers again).
func (m *hostMgmt) up(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lns[name] != nil || m.addrs[name] == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.addrs[name])
	if err != nil {
		return err
	}
	m.lns[name] = ln
	go accept(ln)
	return nil
}

// down closes the host's endpoint: nothing answers there any more.
func (m *hostMgmt) down(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ln := m.lns[name]; ln != nil {
		_ = ln.Close()
		delete(m.lns, name)
	}
}

// later runs f after delay (vCenter noticing), replacing any pending one; cancel drops it.
func (m *hostMgmt) later(name string, delay time.Duration, f func()) {
	m.cancel(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.notice[name] = time.AfterFunc(delay, f)
}

func (m *hostMgmt) cancel(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.notice[name]; t != nil {
		t.Stop()
		delete(m.notice, name)
	}
}

// crashed records (dead true) or clears a crash; it returns whether the host had crashed.
func (m *hostMgmt) crashed(name string, dead bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	was := m.dead[name]
	m.dead[name] = dead
	return was
}
