{
	"patcher": {
		"fileversion": 1,
		"appversion": {
			"major": 8,
			"minor": 6,
			"revision": 5,
			"architecture": "x64",
			"modernui": 1
		},
		"classnamespace": "box",
		"rect": [
			100.0,
			100.0,
			900.0,
			600.0
		],
		"openrect": [
			0.0,
			0.0,
			0.0,
			169.0
		],
		"bglocked": 0,
		"openinpresentation": 1,
		"default_fontsize": 10.0,
		"default_fontface": 0,
		"default_fontname": "Arial Bold",
		"gridonopen": 1,
		"gridsize": [
			8.0,
			8.0
		],
		"gridsnaponopen": 1,
		"objectsnaponopen": 1,
		"statusbarvisible": 2,
		"toolbarvisible": 1,
		"lefttoolbarpinned": 0,
		"toptoolbarpinned": 0,
		"righttoolbarpinned": 0,
		"bottomtoolbarpinned": 0,
		"toolbars_unpinned_last_save": 0,
		"tallnewobj": 0,
		"boxanimatetime": 200,
		"enablehscroll": 1,
		"enablevscroll": 1,
		"devicewidth": 470.0,
		"description": "drumtag: colours (and optionally names) clips and Drum Rack chains by drum class, from the drumtag OSC server.",
		"digest": "Classify drum samples: kick, snare, hat, percussion, other",
		"tags": "drumtag",
		"style": "",
		"subpatcher_template": "",
		"assistshowspatchername": 0,
		"boxes": [
			{
				"box": {
					"id": "obj-thisdevice",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"bang",
						"int",
						"int"
					],
					"patching_rect": [
						30.0,
						30.0,
						85.0,
						20.0
					],
					"text": "live.thisdevice"
				}
			},
			{
				"box": {
					"id": "obj-init",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						30.0,
						60.0,
						32.0,
						20.0
					],
					"text": "init"
				}
			},
			{
				"box": {
					"id": "obj-js",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					],
					"patching_rect": [
						30.0,
						330.0,
						300.0,
						20.0
					],
					"saved_object_attributes": {
						"filename": "drumtag.js",
						"parameter_enable": 0
					},
					"text": "js drumtag.js"
				}
			},
			{
				"box": {
					"id": "obj-udpreceive",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						560.0,
						250.0,
						140.0,
						20.0
					],
					"text": "udpreceive 9011 @defer 1"
				}
			},
			{
				"box": {
					"id": "obj-deferlow",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						560.0,
						290.0,
						55.0,
						20.0
					],
					"text": "deferlow"
				}
			},
			{
				"box": {
					"id": "obj-udpsend",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"outlettype": [],
					"patching_rect": [
						180.0,
						400.0,
						135.0,
						20.0
					],
					"text": "udpsend 127.0.0.1 9010"
				}
			},
			{
				"box": {
					"id": "obj-route",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 5,
					"outlettype": [
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						30.0,
						400.0,
						145.0,
						20.0
					],
					"text": "route status last counts server"
				}
			},
			{
				"box": {
					"id": "obj-set-status",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						30.0,
						440.0,
						70.0,
						20.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-set-last",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						110.0,
						440.0,
						70.0,
						20.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-set-counts",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						190.0,
						440.0,
						70.0,
						20.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-plugin",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"signal",
						"signal"
					],
					"patching_rect": [
						760.0,
						30.0,
						50.0,
						20.0
					],
					"text": "plugin~"
				}
			},
			{
				"box": {
					"id": "obj-plugout",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 0,
					"outlettype": [],
					"patching_rect": [
						760.0,
						90.0,
						55.0,
						20.0
					],
					"text": "plugout~"
				}
			},
			{
				"box": {
					"fontface": 1,
					"fontsize": 12.0,
					"id": "obj-title",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						400.0,
						30.0,
						60.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						4.0,
						2.0,
						60.0,
						18.0
					],
					"text": "drumtag"
				}
			},
			{
				"box": {
					"id": "obj-led",
					"ignoreclick": 1,
					"maxclass": "led",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"int"
					],
					"parameter_enable": 0,
					"patching_rect": [
						400.0,
						470.0,
						18.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						66.0,
						5.0,
						12.0,
						12.0
					]
				}
			},
			{
				"box": {
					"id": "obj-status",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						30.0,
						480.0,
						440.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						82.0,
						3.0,
						384.0,
						18.0
					],
					"text": "starting ..."
				}
			},
			{
				"box": {
					"id": "obj-last",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						30.0,
						505.0,
						220.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						4.0,
						22.0,
						200.0,
						18.0
					],
					"text": ""
				}
			},
			{
				"box": {
					"id": "obj-counts",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						260.0,
						505.0,
						220.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						208.0,
						22.0,
						258.0,
						18.0
					],
					"text": ""
				}
			},
			{
				"box": {
					"annotation": "Classify the clip shown in the Detail View now.",
					"id": "obj-btn-tagclip",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"parameter_enable": 1,
					"patching_rect": [
						30.0,
						110.0,
						52.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						4.0,
						44.0,
						52.0,
						16.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_invisible": 2,
							"parameter_longname": "drumtag Tag clip",
							"parameter_mmax": 1,
							"parameter_shortname": "Tag clip",
							"parameter_type": 2
						}
					},
					"text": "Tag clip",
					"texton": "Tag clip"
				}
			},
			{
				"box": {
					"id": "obj-msg-tagclip",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						30.0,
						150.0,
						55.0,
						20.0
					],
					"text": "tagclip"
				}
			},
			{
				"box": {
					"annotation": "Classify every audio clip of the set (session and arrangement).",
					"id": "obj-btn-tagall",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"parameter_enable": 1,
					"patching_rect": [
						105.0,
						110.0,
						48.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						60.0,
						44.0,
						48.0,
						16.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_invisible": 2,
							"parameter_longname": "drumtag Tag all",
							"parameter_mmax": 1,
							"parameter_shortname": "Tag all",
							"parameter_type": 2
						}
					},
					"text": "Tag all",
					"texton": "Tag all"
				}
			},
			{
				"box": {
					"id": "obj-msg-tagall",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						105.0,
						150.0,
						55.0,
						20.0
					],
					"text": "tagall"
				}
			},
			{
				"box": {
					"annotation": "Classify the samples of the selected Drum Rack and colour its chains.",
					"id": "obj-btn-tagrack",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"parameter_enable": 1,
					"patching_rect": [
						180.0,
						110.0,
						52.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						112.0,
						44.0,
						52.0,
						16.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_invisible": 2,
							"parameter_longname": "drumtag Tag rack",
							"parameter_mmax": 1,
							"parameter_shortname": "Tag rack",
							"parameter_type": 2
						}
					},
					"text": "Tag rack",
					"texton": "Tag rack"
				}
			},
			{
				"box": {
					"id": "obj-msg-tagrack",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						180.0,
						150.0,
						55.0,
						20.0
					],
					"text": "tagrack"
				}
			},
			{
				"box": {
					"annotation": "Stop the running Tag all / Tag rack job.",
					"id": "obj-btn-stop",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"parameter_enable": 1,
					"patching_rect": [
						255.0,
						110.0,
						36.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						168.0,
						44.0,
						36.0,
						16.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_invisible": 2,
							"parameter_longname": "drumtag Stop",
							"parameter_mmax": 1,
							"parameter_shortname": "Stop",
							"parameter_type": 2
						}
					},
					"text": "Stop",
					"texton": "Stop"
				}
			},
			{
				"box": {
					"id": "obj-msg-stop",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						255.0,
						150.0,
						55.0,
						20.0
					],
					"text": "stop"
				}
			},
			{
				"box": {
					"annotation": "Give renamed clips and chains their original names back.",
					"id": "obj-btn-restore",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"parameter_enable": 1,
					"patching_rect": [
						330.0,
						110.0,
						76.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						208.0,
						44.0,
						76.0,
						16.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_invisible": 2,
							"parameter_longname": "drumtag Restore names",
							"parameter_mmax": 1,
							"parameter_shortname": "Restore names",
							"parameter_type": 2
						}
					},
					"text": "Restore names",
					"texton": "Restore names"
				}
			},
			{
				"box": {
					"id": "obj-msg-restore",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						330.0,
						150.0,
						55.0,
						20.0
					],
					"text": "restore"
				}
			},
			{
				"box": {
					"annotation": "Look for the drumtag server now.",
					"id": "obj-btn-ping",
					"maxclass": "live.text",
					"mode": 0,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"parameter_enable": 1,
					"patching_rect": [
						405.0,
						110.0,
						38.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						288.0,
						44.0,
						38.0,
						16.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_invisible": 2,
							"parameter_longname": "drumtag Retry",
							"parameter_mmax": 1,
							"parameter_shortname": "Retry",
							"parameter_type": 2
						}
					},
					"text": "Retry",
					"texton": "Retry"
				}
			},
			{
				"box": {
					"id": "obj-msg-ping",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						405.0,
						150.0,
						55.0,
						20.0
					],
					"text": "ping"
				}
			},
			{
				"box": {
					"annotation": "Classify the selected clip whenever the selection changes.",
					"id": "obj-tgl-follow",
					"maxclass": "live.text",
					"mode": 1,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"parameter_enable": 1,
					"patching_rect": [
						480.0,
						110.0,
						44.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						330.0,
						44.0,
						44.0,
						16.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_initial": [
								1
							],
							"parameter_initial_enable": 1,
							"parameter_invisible": 1,
							"parameter_longname": "drumtag Follow",
							"parameter_mmax": 1,
							"parameter_shortname": "Follow",
							"parameter_type": 2
						}
					},
					"text": "Follow",
					"texton": "Follow"
				}
			},
			{
				"box": {
					"id": "obj-pre-follow",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						480.0,
						150.0,
						90.0,
						20.0
					],
					"text": "prepend follow"
				}
			},
			{
				"box": {
					"annotation": "Also prefix names with the class and confidence (kick 93% | name).",
					"id": "obj-tgl-naming",
					"maxclass": "live.text",
					"mode": 1,
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"parameter_enable": 1,
					"patching_rect": [
						580.0,
						110.0,
						46.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						378.0,
						44.0,
						46.0,
						16.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_initial": [
								0
							],
							"parameter_initial_enable": 1,
							"parameter_invisible": 1,
							"parameter_longname": "drumtag Rename",
							"parameter_mmax": 1,
							"parameter_shortname": "Rename",
							"parameter_type": 2
						}
					},
					"text": "Rename",
					"texton": "Rename"
				}
			},
			{
				"box": {
					"id": "obj-pre-naming",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						580.0,
						150.0,
						90.0,
						20.0
					],
					"text": "prepend naming"
				}
			},
			{
				"box": {
					"id": "obj-lbl-host",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						30.0,
						200.0,
						30.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						4.0,
						66.0,
						30.0,
						18.0
					],
					"text": "Host"
				}
			},
			{
				"box": {
					"annotation": "Host of the drumtag server (press Return to apply; not saved with the set).",
					"id": "obj-host",
					"keymode": 1,
					"lines": 1,
					"maxclass": "textedit",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"int",
						"",
						""
					],
					"patching_rect": [
						60.0,
						200.0,
						100.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						34.0,
						67.0,
						100.0,
						16.0
					],
					"tabmode": 0,
					"text": "127.0.0.1"
				}
			},
			{
				"box": {
					"id": "obj-pre-host",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						60.0,
						240.0,
						80.0,
						20.0
					],
					"text": "prepend host"
				}
			},
			{
				"box": {
					"id": "obj-lbl-port",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						180.0,
						200.0,
						30.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						140.0,
						66.0,
						28.0,
						18.0
					],
					"text": "Port"
				}
			},
			{
				"box": {
					"annotation": "UDP port the drumtag server listens on (drumtag serve --port).",
					"id": "obj-port",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"parameter_enable": 1,
					"patching_rect": [
						210.0,
						200.0,
						50.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						168.0,
						67.0,
						50.0,
						15.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_initial": [
								9010
							],
							"parameter_initial_enable": 1,
							"parameter_invisible": 1,
							"parameter_longname": "drumtag Server port",
							"parameter_mmax": 65535.0,
							"parameter_mmin": 1.0,
							"parameter_shortname": "Port",
							"parameter_type": 1,
							"parameter_unitstyle": 0
						}
					}
				}
			},
			{
				"box": {
					"id": "obj-pre-port",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						210.0,
						240.0,
						80.0,
						20.0
					],
					"text": "prepend port"
				}
			},
			{
				"box": {
					"id": "obj-lbl-reply",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						290.0,
						200.0,
						60.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						224.0,
						66.0,
						56.0,
						18.0
					],
					"text": "Reply port"
				}
			},
			{
				"box": {
					"annotation": "UDP port this device listens on for answers; give every drumtag device its own.",
					"id": "obj-replyport",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"parameter_enable": 1,
					"patching_rect": [
						350.0,
						200.0,
						50.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						280.0,
						67.0,
						50.0,
						15.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_initial": [
								9011
							],
							"parameter_initial_enable": 1,
							"parameter_invisible": 1,
							"parameter_longname": "drumtag Reply port",
							"parameter_mmax": 65535.0,
							"parameter_mmin": 1.0,
							"parameter_shortname": "Reply",
							"parameter_type": 1,
							"parameter_unitstyle": 0
						}
					}
				}
			},
			{
				"box": {
					"id": "obj-pre-replyport",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						350.0,
						240.0,
						100.0,
						20.0
					],
					"text": "prepend replyport"
				}
			},
			{
				"box": {
					"id": "obj-lbl-unsure",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						420.0,
						200.0,
						70.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						336.0,
						66.0,
						72.0,
						18.0
					],
					"text": "Unsure below"
				}
			},
			{
				"box": {
					"annotation": "Mark results with a confidence below this (muted colour, \"kick? 54%\"): the ones to check by ear. 0 marks nothing.",
					"id": "obj-unsure",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"parameter_enable": 1,
					"patching_rect": [
						490.0,
						200.0,
						50.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						410.0,
						67.0,
						50.0,
						15.0
					],
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_initial": [
								60
							],
							"parameter_initial_enable": 1,
							"parameter_invisible": 1,
							"parameter_longname": "drumtag Unsure below",
							"parameter_mmax": 100.0,
							"parameter_mmin": 0.0,
							"parameter_shortname": "Unsure",
							"parameter_type": 1,
							"parameter_unitstyle": 5
						}
					}
				}
			},
			{
				"box": {
					"id": "obj-pre-unsure",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						490.0,
						240.0,
						100.0,
						20.0
					],
					"text": "prepend unsure"
				}
			}
		],
		"lines": [
			{
				"patchline": {
					"destination": [
						"obj-plugout",
						0
					],
					"source": [
						"obj-plugin",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-plugout",
						1
					],
					"source": [
						"obj-plugin",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-init",
						0
					],
					"source": [
						"obj-thisdevice",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-init",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-deferlow",
						0
					],
					"source": [
						"obj-udpreceive",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						1
					],
					"source": [
						"obj-deferlow",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-route",
						0
					],
					"source": [
						"obj-js",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-udpsend",
						0
					],
					"source": [
						"obj-js",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-udpreceive",
						0
					],
					"source": [
						"obj-js",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-set-status",
						0
					],
					"source": [
						"obj-route",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-set-last",
						0
					],
					"source": [
						"obj-route",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-set-counts",
						0
					],
					"source": [
						"obj-route",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-led",
						0
					],
					"source": [
						"obj-route",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-status",
						0
					],
					"source": [
						"obj-set-status",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-last",
						0
					],
					"source": [
						"obj-set-last",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-counts",
						0
					],
					"source": [
						"obj-set-counts",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-msg-tagclip",
						0
					],
					"source": [
						"obj-btn-tagclip",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-msg-tagclip",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-msg-tagall",
						0
					],
					"source": [
						"obj-btn-tagall",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-msg-tagall",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-msg-tagrack",
						0
					],
					"source": [
						"obj-btn-tagrack",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-msg-tagrack",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-msg-stop",
						0
					],
					"source": [
						"obj-btn-stop",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-msg-stop",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-msg-restore",
						0
					],
					"source": [
						"obj-btn-restore",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-msg-restore",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-msg-ping",
						0
					],
					"source": [
						"obj-btn-ping",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-msg-ping",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-pre-follow",
						0
					],
					"source": [
						"obj-tgl-follow",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-pre-follow",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-pre-naming",
						0
					],
					"source": [
						"obj-tgl-naming",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-pre-naming",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-pre-host",
						0
					],
					"source": [
						"obj-host",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-pre-host",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-pre-port",
						0
					],
					"source": [
						"obj-port",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-pre-port",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-pre-replyport",
						0
					],
					"source": [
						"obj-replyport",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-pre-replyport",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-pre-unsure",
						0
					],
					"source": [
						"obj-unsure",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-js",
						0
					],
					"source": [
						"obj-pre-unsure",
						0
					]
				}
			}
		],
		"parameters": {
			"obj-btn-tagclip": [
				"drumtag Tag clip",
				"Tag clip",
				0
			],
			"obj-btn-tagall": [
				"drumtag Tag all",
				"Tag all",
				0
			],
			"obj-btn-tagrack": [
				"drumtag Tag rack",
				"Tag rack",
				0
			],
			"obj-btn-stop": [
				"drumtag Stop",
				"Stop",
				0
			],
			"obj-btn-restore": [
				"drumtag Restore names",
				"Restore names",
				0
			],
			"obj-btn-ping": [
				"drumtag Retry",
				"Retry",
				0
			],
			"obj-tgl-follow": [
				"drumtag Follow",
				"Follow",
				0
			],
			"obj-tgl-naming": [
				"drumtag Rename",
				"Rename",
				0
			],
			"obj-port": [
				"drumtag Server port",
				"Port",
				0
			],
			"obj-replyport": [
				"drumtag Reply port",
				"Reply",
				0
			],
			"obj-unsure": [
				"drumtag Unsure below",
				"Unsure",
				0
			],
			"parameterbanks": {
				"0": {
					"index": 0,
					"name": "",
					"parameters": [
						"-",
						"-",
						"-",
						"-",
						"-",
						"-",
						"-",
						"-"
					]
				}
			},
			"inherited_shortname": 1
		},
		"dependency_cache": [
			{
				"name": "drumtag.js",
				"bootpath": ".",
				"patcherrelativepath": ".",
				"type": "TEXT",
				"implicit": 1
			},
			{
				"name": "drumtag_live.js",
				"bootpath": ".",
				"patcherrelativepath": ".",
				"type": "TEXT",
				"implicit": 1
			},
			{
				"name": "drumtag_names.js",
				"bootpath": ".",
				"patcherrelativepath": ".",
				"type": "TEXT",
				"implicit": 1
			},
			{
				"name": "drumtag_osc.js",
				"bootpath": ".",
				"patcherrelativepath": ".",
				"type": "TEXT",
				"implicit": 1
			}
		],
		"latency": 0,
		"is_mpe": 0,
		"minimum_live_version": "",
		"minimum_max_version": "",
		"platform_compatibility": 0,
		"project": {
			"version": 1,
			"creationdate": 3590052786,
			"modificationdate": 3590052786,
			"viewrect": [
				0.0,
				0.0,
				300.0,
				500.0
			],
			"autoorganize": 1,
			"hideprojectwindow": 1,
			"showdependencies": 1,
			"autolocalize": 0,
			"contents": {
				"patchers": {}
			},
			"layout": {},
			"searchpath": {},
			"detailsvisible": 0,
			"amxdtype": 1633771873,
			"readonly": 0,
			"devpathtype": 0,
			"devpath": ".",
			"sortmode": 0,
			"viewmode": 0,
			"includepackages": 0
		},
		"autosave": 0
	}
}
