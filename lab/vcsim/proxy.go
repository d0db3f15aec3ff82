package main

import (
	"io"
	"net"
	"strconv"
	"sync"
)

// outageSwitch is the public SDK address. It forwards TLS connections to the
// simulator; "stop" closes the listener and every open connection (clients
// see connection refused/reset, like a vCenter outage) while the inventory
// lives on, and "start" listens again on the same address.
type outageSwitch struct {
	addr, backend string
	mu            sync.Mutex
	ln            net.Listener
	conns         map[net.Conn]struct{}
}

func newSwitch(addr, backend string) (*outageSwitch, error) {
	s := &outageSwitch{addr: addr, backend: backend, conns: map[net.Conn]struct{}{}}
	if err := s.start(); err != nil {
		return nil, err
	}
	s.addr = s.ln.Addr().String()
	return s, nil
}

func (s *outageSwitch) port() int {
	_, p, _ := net.SplitHostPort(s.addr)
	n, _ := strconv.Atoi(p)
	return n
}

func (s *outageSwitch) up() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ln != nil
}

func (s *outageSwitch) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.ln = ln
	go s.accept(ln)
	return nil
}

func (s *outageSwitch) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		_ = s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		_ = c.Close()
		delete(s.conns, c)
	}
}

func (s *outageSwitch) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.ln == nil {
			return false
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

func (s *outageSwitch) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go s.pipe(c)
	}
}

func (s *outageSwitch) pipe(c net.Conn) {
	b, err := net.Dial("tcp", s.backend)
	if err != nil {
		_ = c.Close()
		return
	}
	if !s.track(c, true) || !s.track(b, true) {
		_ = c.Close()
		_ = b.Close()
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); done <- struct{}{} }()
	<-done
	_ = c.Close()
	_ = b.Close()
	s.track(c, false)
	s.track(b, false)
}
